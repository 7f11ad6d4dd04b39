import { ServiceNowCompany, ServiceNowGroup, ServiceNowUser } from './schemas.js';
import { getRecordAction, listRecordsAction } from './table-api.js';

/** Reads of the people and organisations incidents point at: callers, companies, groups. */
export const directoryActions = {
  'users.get': getRecordAction({
    name: 'users.get',
    table: 'sys_user',
    record: ServiceNowUser,
    noun: 'user',
  }),
  'users.list': listRecordsAction({
    name: 'users.list',
    table: 'sys_user',
    record: ServiceNowUser,
    noun: 'user',
  }),
  'companies.get': getRecordAction({
    name: 'companies.get',
    table: 'core_company',
    record: ServiceNowCompany,
    noun: 'company',
  }),
  'companies.list': listRecordsAction({
    name: 'companies.list',
    table: 'core_company',
    record: ServiceNowCompany,
    noun: 'company',
  }),
  'groups.list': listRecordsAction({
    name: 'groups.list',
    table: 'sys_user_group',
    record: ServiceNowGroup,
    noun: 'assignment group',
  }),
};
