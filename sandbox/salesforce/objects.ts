/**
 * The sObjects the sandbox serves and their fields (API names, types, which are read-only), after
 * the Salesforce Object Reference as summarised in shared/specs/salesforce. Field names are
 * case-insensitive on input, as in Salesforce; answers use the canonical spelling.
 */

import { makeId } from './ids.js';

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'email'
  | 'phone'
  | 'url'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Maximum length of text fields. */
  length?: number;
  required?: boolean;
  /** Set by the System (system fields, formulas, derived flags). */
  readOnly?: boolean;
  /** Writable on create only (Opportunity.ContactId, Task.TaskSubtype). */
  createOnly?: boolean;
  /** Key prefixes a reference may point to; `005` (User) is accepted without a look-up. */
  referenceTo?: readonly string[];
  externalId?: boolean;
  unique?: boolean;
  defaultValue?: string | boolean;
}

export interface ObjectDef {
  name: string;
  keyPrefix: string;
  fields: readonly FieldDef[];
  /** Lower-cased field name → definition. */
  byLower: ReadonlyMap<string, FieldDef>;
}

/** The integration user every sandbox session acts as. */
export const integrationUserId = makeId('005', 1);

const text = (name: string, length = 255, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: 'string',
  length,
  ...extra,
});
const ro = (name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  readOnly: true,
  ...extra,
});
const of = (name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  ...extra,
});

/** Every object has these; the two `Weft_*__c` fields are the custom External ID fields Weft's docs ask for. */
const systemFields: FieldDef[] = [
  ro('Id', 'id'),
  of('OwnerId', 'reference', { referenceTo: ['005'] }),
  ro('CreatedDate', 'datetime'),
  ro('CreatedById', 'reference', { referenceTo: ['005'] }),
  ro('LastModifiedDate', 'datetime'),
  ro('LastModifiedById', 'reference', { referenceTo: ['005'] }),
  ro('SystemModstamp', 'datetime'),
  ro('IsDeleted', 'boolean'),
  text('Weft_External_Id__c', 255, { externalId: true, unique: true }),
  text('Weft_Idempotency_Key__c', 255, { externalId: true, unique: true }),
];

const address = (prefix: string): FieldDef[] => [
  of(`${prefix}Street`, 'textarea', { length: 255 }),
  text(`${prefix}City`, 40),
  text(`${prefix}State`, 80),
  text(`${prefix}PostalCode`, 20),
  text(`${prefix}Country`, 80),
];

const definitions: { name: string; keyPrefix: string; fields: FieldDef[] }[] = [
  {
    name: 'Account',
    keyPrefix: '001',
    fields: [
      text('Name', 255, { required: true }),
      text('AccountNumber', 40),
      of('Type', 'picklist'),
      of('Industry', 'picklist'),
      of('Website', 'url', { length: 255 }),
      of('Phone', 'phone', { length: 40 }),
      ...address('Billing'),
      ...address('Shipping'),
      of('AnnualRevenue', 'currency'),
      of('NumberOfEmployees', 'int'),
      of('ParentId', 'reference', { referenceTo: ['001'] }),
      of('Rating', 'picklist'),
      of('Description', 'textarea', { length: 32000 }),
      // Product usage synced into the CRM (Loomwise's own custom fields), as many SaaS vendors do.
      text('Usage_Month__c', 7),
      of('Monthly_Api_Calls__c', 'int'),
      of('Active_Seats__c', 'int'),
    ],
  },
  {
    name: 'Contact',
    keyPrefix: '003',
    fields: [
      of('AccountId', 'reference', { referenceTo: ['001'] }),
      text('FirstName', 40),
      text('LastName', 80, { required: true }),
      of('Salutation', 'picklist'),
      ro('Name', 'string'),
      text('Title', 128),
      text('Department', 80),
      of('Email', 'email', { length: 80 }),
      of('Phone', 'phone', { length: 40 }),
      of('MobilePhone', 'phone', { length: 40 }),
      ...address('Mailing'),
      of('LeadSource', 'picklist'),
      of('Birthdate', 'date'),
      of('Description', 'textarea', { length: 32000 }),
      of('ReportsToId', 'reference', { referenceTo: ['003'] }),
      of('HasOptedOutOfEmail', 'boolean', { defaultValue: false }),
    ],
  },
  {
    name: 'Lead',
    keyPrefix: '00Q',
    fields: [
      text('FirstName', 40),
      text('LastName', 80, { required: true }),
      of('Salutation', 'picklist'),
      ro('Name', 'string'),
      text('Company', 255, { required: true }),
      text('Title', 128),
      of('Email', 'email', { length: 80 }),
      of('Phone', 'phone', { length: 40 }),
      of('MobilePhone', 'phone', { length: 40 }),
      of('Website', 'url', { length: 255 }),
      of('Status', 'picklist', { defaultValue: 'Open - Not Contacted' }),
      of('LeadSource', 'picklist'),
      of('Industry', 'picklist'),
      of('Rating', 'picklist'),
      of('AnnualRevenue', 'currency'),
      of('NumberOfEmployees', 'int'),
      ...address(''),
      of('Description', 'textarea', { length: 32000 }),
      ro('IsConverted', 'boolean'),
      ro('ConvertedAccountId', 'reference', { referenceTo: ['001'] }),
      ro('ConvertedContactId', 'reference', { referenceTo: ['003'] }),
      ro('ConvertedOpportunityId', 'reference', { referenceTo: ['006'] }),
      ro('ConvertedDate', 'date'),
    ],
  },
  {
    name: 'Opportunity',
    keyPrefix: '006',
    fields: [
      of('AccountId', 'reference', { referenceTo: ['001'] }),
      text('Name', 120, { required: true }),
      of('StageName', 'picklist', { required: true }),
      of('Amount', 'currency'),
      of('CloseDate', 'date', { required: true }),
      of('Probability', 'percent'),
      of('Type', 'picklist'),
      of('LeadSource', 'picklist'),
      text('NextStep', 255),
      of('Description', 'textarea', { length: 32000 }),
      of('ForecastCategoryName', 'picklist'),
      ro('IsClosed', 'boolean'),
      ro('IsWon', 'boolean'),
      of('ContactId', 'reference', { referenceTo: ['003'], createOnly: true }),
      of('CampaignId', 'reference', { referenceTo: ['701'] }),
      of('Pricebook2Id', 'reference', { referenceTo: ['01s'] }),
      ro('ExpectedRevenue', 'currency'),
    ],
  },
  {
    name: 'Task',
    keyPrefix: '00T',
    fields: [
      of('Subject', 'string', { length: 255 }),
      of('Status', 'picklist', { required: true, defaultValue: 'Not Started' }),
      of('Priority', 'picklist', { required: true, defaultValue: 'Normal' }),
      of('ActivityDate', 'date'),
      of('WhoId', 'reference', { referenceTo: ['003', '00Q'] }),
      of('WhatId', 'reference', { referenceTo: ['001', '006', '500'] }),
      ro('AccountId', 'reference', { referenceTo: ['001'] }),
      of('Description', 'textarea', { length: 32000 }),
      ro('IsClosed', 'boolean'),
      ro('IsHighPriority', 'boolean'),
      of('TaskSubtype', 'picklist', { createOnly: true, defaultValue: 'Task' }),
      of('Type', 'picklist'),
      of('CallType', 'picklist'),
      of('CallDurationInSeconds', 'int'),
      of('ReminderDateTime', 'datetime'),
      of('IsReminderSet', 'boolean', { defaultValue: false }),
      ro('CompletedDateTime', 'datetime'),
    ],
  },
  {
    name: 'Case',
    keyPrefix: '500',
    fields: [
      ro('CaseNumber', 'string'),
      of('AccountId', 'reference', { referenceTo: ['001'] }),
      of('ContactId', 'reference', { referenceTo: ['003'] }),
      of('Subject', 'string', { length: 255 }),
      of('Description', 'textarea', { length: 32000 }),
      of('Status', 'picklist', { defaultValue: 'New' }),
      of('Priority', 'picklist', { defaultValue: 'Medium' }),
      of('Origin', 'picklist'),
      of('Type', 'picklist'),
      of('Reason', 'picklist'),
      ro('IsClosed', 'boolean'),
      ro('ClosedDate', 'datetime'),
      of('IsEscalated', 'boolean', { defaultValue: false }),
      text('SuppliedName', 80),
      of('SuppliedEmail', 'email', { length: 80 }),
      text('SuppliedPhone', 40),
      text('SuppliedCompany', 80),
      of('ParentId', 'reference', { referenceTo: ['500'] }),
    ],
  },
];

export const sobjects: ReadonlyMap<string, ObjectDef> = new Map(
  definitions.map((d) => {
    const fields = [...systemFields, ...d.fields];
    return [
      d.name.toLowerCase(),
      {
        name: d.name,
        keyPrefix: d.keyPrefix,
        fields,
        byLower: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
      },
    ];
  }),
);

/** The object an API path names (case-insensitive), or undefined. */
export function objectNamed(name: string): ObjectDef | undefined {
  return sobjects.get(name.toLowerCase());
}

/** The object an id belongs to, by its key prefix. */
export function objectOfId(id: string): ObjectDef | undefined {
  for (const def of sobjects.values()) if (id.startsWith(def.keyPrefix)) return def;
  return undefined;
}

/** Default probability and forecast category of the standard opportunity stages. */
export const opportunityStages: Record<string, { probability: number; forecast: string }> = {
  Prospecting: { probability: 10, forecast: 'Pipeline' },
  Qualification: { probability: 10, forecast: 'Pipeline' },
  'Needs Analysis': { probability: 20, forecast: 'Pipeline' },
  'Value Proposition': { probability: 50, forecast: 'Pipeline' },
  'Id. Decision Makers': { probability: 60, forecast: 'Pipeline' },
  'Perception Analysis': { probability: 70, forecast: 'Pipeline' },
  'Proposal/Price Quote': { probability: 75, forecast: 'Pipeline' },
  'Negotiation/Review': { probability: 90, forecast: 'Commit' },
  'Closed Won': { probability: 100, forecast: 'Closed' },
  'Closed Lost': { probability: 0, forecast: 'Omitted' },
};
