import { z } from 'zod';
import { confidential, financial, pii } from '../../connector/classification.js';

/**
 * The six sObjects as Weft reads and writes them. Loose objects: orgs add custom fields (`…__c`)
 * and those pass through untouched; the standard fields flows rely on are typed and classified.
 * Every field is optional in answers because SOQL and `?fields=` return only what was asked.
 */

/** 15- or 18-character record id; checking it keeps an id from rewriting a request path. */
export const SalesforceId = z.string().regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'not a Salesforce id');
export const FieldApiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'not a field API name');

export const salesforceObjectNames = ['Account', 'Contact', 'Lead', 'Opportunity', 'Task', 'Case'] as const;
export type SalesforceObjectName = (typeof salesforceObjectNames)[number];

type FieldSpec = { schema: z.ZodType; readOnly?: boolean };
const w = (schema: z.ZodType): FieldSpec => ({ schema });
const r = (schema: z.ZodType): FieldSpec => ({ schema, readOnly: true });
const str = z.string();
const num = z.number();
const bool = z.boolean();
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');

const system: Record<string, FieldSpec> = {
  Id: r(str),
  OwnerId: w(str),
  CreatedDate: r(str),
  CreatedById: r(str),
  LastModifiedDate: r(str),
  LastModifiedById: r(str),
  SystemModstamp: r(str),
  IsDeleted: r(bool),
};
const address = (prefix: string, classify: (s: z.ZodType) => z.ZodType): Record<string, FieldSpec> =>
  Object.fromEntries(
    ['Street', 'City', 'State', 'PostalCode', 'Country'].map((part) => [
      `${prefix}${part}`,
      w(classify(str)),
    ]),
  );
const same = (s: z.ZodType) => s;

const specs: Record<SalesforceObjectName, Record<string, FieldSpec>> = {
  Account: {
    Name: w(str),
    AccountNumber: w(confidential(str)),
    Type: w(str),
    Industry: w(str),
    Website: w(str),
    Phone: w(str),
    ...address('Billing', same),
    ...address('Shipping', same),
    AnnualRevenue: w(financial(num)),
    NumberOfEmployees: w(num),
    ParentId: w(str),
    Rating: w(str),
    Description: w(confidential(str)),
  },
  Contact: {
    AccountId: w(str),
    FirstName: w(pii(str)),
    LastName: w(pii(str)),
    Salutation: w(str),
    Name: r(pii(str)),
    Title: w(str),
    Department: w(str),
    Email: w(pii(str)),
    Phone: w(pii(str)),
    MobilePhone: w(pii(str)),
    ...address('Mailing', pii),
    LeadSource: w(str),
    Birthdate: w(pii(date)),
    Description: w(confidential(str)),
    ReportsToId: w(str),
    HasOptedOutOfEmail: w(bool),
  },
  Lead: {
    FirstName: w(pii(str)),
    LastName: w(pii(str)),
    Salutation: w(str),
    Name: r(pii(str)),
    Company: w(str),
    Title: w(str),
    Email: w(pii(str)),
    Phone: w(pii(str)),
    MobilePhone: w(pii(str)),
    Website: w(str),
    Status: w(str),
    LeadSource: w(str),
    Industry: w(str),
    Rating: w(str),
    AnnualRevenue: w(financial(num)),
    NumberOfEmployees: w(num),
    ...address('', pii),
    Description: w(confidential(str)),
    IsConverted: r(bool),
    ConvertedAccountId: r(str),
    ConvertedContactId: r(str),
    ConvertedOpportunityId: r(str),
    ConvertedDate: r(date),
  },
  Opportunity: {
    AccountId: w(str),
    Name: w(str),
    StageName: w(str),
    Amount: w(financial(num)),
    CloseDate: w(date),
    Probability: w(num),
    Type: w(str),
    LeadSource: w(str),
    NextStep: w(confidential(str)),
    Description: w(confidential(str)),
    ForecastCategoryName: w(str),
    IsClosed: r(bool),
    IsWon: r(bool),
    ContactId: w(str),
    CampaignId: w(str),
    Pricebook2Id: w(str),
    ExpectedRevenue: r(financial(num)),
  },
  Task: {
    Subject: w(str),
    Status: w(str),
    Priority: w(str),
    ActivityDate: w(date),
    WhoId: w(str),
    WhatId: w(str),
    AccountId: r(str),
    Description: w(confidential(str)),
    IsClosed: r(bool),
    IsHighPriority: r(bool),
    TaskSubtype: w(str),
    Type: w(str),
    CallType: w(str),
    CallDurationInSeconds: w(num),
    ReminderDateTime: w(str),
    IsReminderSet: w(bool),
    CompletedDateTime: r(str),
  },
  Case: {
    CaseNumber: r(str),
    AccountId: w(str),
    ContactId: w(str),
    Subject: w(str),
    Description: w(confidential(str)),
    Status: w(str),
    Priority: w(str),
    Origin: w(str),
    Type: w(str),
    Reason: w(str),
    IsClosed: r(bool),
    ClosedDate: r(str),
    IsEscalated: w(bool),
    SuppliedName: w(pii(str)),
    SuppliedEmail: w(pii(str)),
    SuppliedPhone: w(pii(str)),
    SuppliedCompany: w(str),
    ParentId: w(str),
  },
};

const Attributes = z.looseObject({ type: z.string(), url: z.string().optional() });

function recordSchema(fields: Record<string, FieldSpec>) {
  const shape: Record<string, z.ZodType> = { attributes: Attributes.optional() };
  for (const [name, spec] of Object.entries({ ...system, ...fields }))
    shape[name] = spec.schema.nullable().optional();
  return z.looseObject(shape);
}

/** Writable fields only; `null` clears a field. Custom `__c` fields pass through. */
function inputSchema(fields: Record<string, FieldSpec>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries({ ...system, ...fields })) {
    if (!spec.readOnly) shape[name] = spec.schema.nullable().optional();
  }
  return z.looseObject(shape);
}

/** A record as the REST API and SOQL return it (`attributes` plus the selected fields). */
export const SalesforceRecords = Object.fromEntries(
  salesforceObjectNames.map((name) => [name, recordSchema(specs[name])]),
) as Record<SalesforceObjectName, ReturnType<typeof recordSchema>>;

/** The fields a create, update or upsert may send. */
export const SalesforceInputs = Object.fromEntries(
  salesforceObjectNames.map((name) => [name, inputSchema(specs[name])]),
) as Record<SalesforceObjectName, ReturnType<typeof inputSchema>>;

/** The standard fields a poll selects by default (every field of the object in the summary). */
export function standardFields(object: SalesforceObjectName): string[] {
  return Object.keys({ ...system, ...specs[object] });
}

export const SaveResult = z.looseObject({
  id: z.string(),
  success: z.boolean(),
  errors: z.array(z.unknown()),
});
export type SaveResult = z.infer<typeof SaveResult>;

export const UpsertResult = z.object({ id: z.string(), created: z.boolean() });
export const DeleteResult = z.object({ id: z.string(), deleted: z.literal(true) });

/** One batch of a SOQL answer; `nextRecordsUrl` is present while `done` is false. */
export const QueryResult = z.looseObject({
  totalSize: z.number().int(),
  done: z.boolean(),
  nextRecordsUrl: z.string().optional(),
  records: z.array(z.looseObject({ attributes: Attributes.optional() })),
});
export type QueryResult = z.infer<typeof QueryResult>;

export const CompositeResponse = z.object({
  compositeResponse: z.array(
    z.looseObject({
      body: z.unknown(),
      httpHeaders: z.record(z.string(), z.string()),
      httpStatusCode: z.number().int(),
      referenceId: z.string(),
    }),
  ),
});

export const Limits = z.record(z.string(), z.looseObject({ Max: z.number(), Remaining: z.number() }));

/**
 * A change notification shaped like Change Data Capture: `ChangeEventHeader` plus the changed
 * fields. Personal fields any of the six objects may carry are classified.
 */
export const ChangeEventHeader = z.looseObject({
  entityName: z.string(),
  recordIds: z.array(z.string()).min(1),
  changeType: z.enum([
    'CREATE',
    'UPDATE',
    'DELETE',
    'UNDELETE',
    'GAP_CREATE',
    'GAP_UPDATE',
    'GAP_DELETE',
    'GAP_UNDELETE',
    'GAP_OVERFLOW',
  ]),
  changedFields: z.array(z.string()).optional(),
  commitTimestamp: z.number().int(),
  transactionKey: z.string().optional(),
  sequenceNumber: z.number().int().optional(),
  commitUser: z.string().nullable().optional(),
});
export const SalesforceChangeEvent = z.looseObject({
  ChangeEventHeader: ChangeEventHeader,
  FirstName: pii(str).nullable().optional(),
  LastName: pii(str).nullable().optional(),
  // A contact's or lead's name is personal; an account's is not, but the event does not say which in its shape.
  Name: pii(str).nullable().optional(),
  Email: pii(str).nullable().optional(),
  Phone: pii(str).nullable().optional(),
  MobilePhone: pii(str).nullable().optional(),
  SuppliedEmail: pii(str).nullable().optional(),
  SuppliedName: pii(str).nullable().optional(),
  Amount: financial(num).nullable().optional(),
  AnnualRevenue: financial(num).nullable().optional(),
  Description: confidential(str).nullable().optional(),
});
export type SalesforceChangeEvent = z.infer<typeof SalesforceChangeEvent>;
