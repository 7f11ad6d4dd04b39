import {
  createAction,
  deleteAction,
  getAction,
  listAction,
  updateAction,
  upsertAction,
} from './record-actions.js';
import { CustomerFields, NetSuiteCustomer } from './schemas.js';

const spec = { prefix: 'customers', type: 'customer', noun: 'customer', object: NetSuiteCustomer } as const;
const fields = CustomerFields;

export const customerActions = {
  'customers.get': getAction(spec),
  'customers.list': listAction(spec),
  'customers.create': createAction({ ...spec, fields }),
  'customers.upsert': upsertAction({ ...spec, fields }),
  'customers.update': updateAction({ ...spec, fields }),
  'customers.delete': deleteAction(spec),
};
