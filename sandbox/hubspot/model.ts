/**
 * The portal the HubSpot sandbox plays: its object types, the properties each has (HubSpot refuses
 * unknown property names), which properties are unique (usable as `idProperty`), and the
 * HUBSPOT_DEFINED association types. Facts from `specs/hubspot/hubspot.crm.summary.json`.
 */

export type ObjectType = 'contacts' | 'companies' | 'deals' | 'tasks';
export const objectTypes: readonly ObjectType[] = ['contacts', 'companies', 'deals', 'tasks'];

export interface ObjectModel {
  type: ObjectType;
  /** `0-1` etc.: paths accept it in place of the name. */
  typeId: string;
  /** Singular, as association type names and webhook subscription types spell it. */
  singular: string;
  /** Returned when the request names no properties. */
  defaultProperties: readonly string[];
  /** Returned by search when the request names no properties. */
  searchDefaultProperties: readonly string[];
  /** Properties with unique values: the only ones `idProperty` may name. */
  uniqueProperties: readonly string[];
  /** Every property a write may set (HubSpot's defaults plus the portal's custom ones). */
  properties: ReadonlySet<string>;
  /** Properties HubSpot computes; a write naming them is refused. */
  readOnly: ReadonlySet<string>;
  createdProperty: string;
  modifiedProperty: string;
  /** Properties whose values are datetimes (compared as instants by search). */
  datetimes: ReadonlySet<string>;
  /** Properties whose values are numbers (compared numerically by search). */
  numbers: ReadonlySet<string>;
  /** Required on create. */
  required: readonly string[];
}

/**
 * Custom properties the sandbox portal has, as a Weft user would create them: a unique external id
 * for upserts, and a unique key that `create` stamps so a retried create can find its first try.
 */
export const customUniqueProperties = ['weft_external_id', 'weft_idempotency_key'] as const;

const common = ['hs_object_id', 'hubspot_owner_id', ...customUniqueProperties];

function model(m: {
  type: ObjectType;
  typeId: string;
  singular: string;
  defaultProperties: string[];
  searchDefaultProperties: string[];
  unique: string[];
  fields: string[];
  createdProperty: string;
  modifiedProperty: string;
  datetimes: string[];
  numbers: string[];
  required?: string[];
}): ObjectModel {
  const computed = ['hs_object_id', m.createdProperty, m.modifiedProperty];
  return {
    type: m.type,
    typeId: m.typeId,
    singular: m.singular,
    defaultProperties: m.defaultProperties,
    searchDefaultProperties: m.searchDefaultProperties,
    uniqueProperties: ['hs_object_id', ...m.unique, ...customUniqueProperties],
    properties: new Set([...common, ...m.fields, ...computed]),
    readOnly: new Set(computed),
    createdProperty: m.createdProperty,
    modifiedProperty: m.modifiedProperty,
    datetimes: new Set([...m.datetimes, m.createdProperty, m.modifiedProperty]),
    numbers: new Set([...m.numbers, 'hs_object_id']),
    required: m.required ?? [],
  };
}

export const models: Record<ObjectType, ObjectModel> = {
  contacts: model({
    type: 'contacts',
    typeId: '0-1',
    singular: 'contact',
    defaultProperties: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
    searchDefaultProperties: [
      'createdate',
      'email',
      'firstname',
      'hs_object_id',
      'lastmodifieddate',
      'lastname',
    ],
    unique: ['email'],
    fields: [
      'email',
      'firstname',
      'lastname',
      'phone',
      'mobilephone',
      'company',
      'jobtitle',
      'website',
      'address',
      'city',
      'state',
      'zip',
      'country',
      'lifecyclestage',
      'hs_lead_status',
    ],
    createdProperty: 'createdate',
    modifiedProperty: 'lastmodifieddate',
    datetimes: [],
    numbers: [],
  }),
  companies: model({
    type: 'companies',
    typeId: '0-2',
    singular: 'company',
    defaultProperties: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
    searchDefaultProperties: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
    // `domain` is not unique in HubSpot: two companies may share one, so it cannot key an upsert.
    unique: [],
    fields: [
      'name',
      'domain',
      'website',
      'industry',
      'phone',
      'address',
      'city',
      'state',
      'zip',
      'country',
      'numberofemployees',
      'annualrevenue',
      'type',
      'lifecyclestage',
      'description',
    ],
    createdProperty: 'createdate',
    modifiedProperty: 'hs_lastmodifieddate',
    datetimes: [],
    numbers: ['numberofemployees', 'annualrevenue'],
  }),
  deals: model({
    type: 'deals',
    typeId: '0-3',
    singular: 'deal',
    defaultProperties: [
      'amount',
      'closedate',
      'createdate',
      'dealname',
      'dealstage',
      'hs_lastmodifieddate',
      'hs_object_id',
      'pipeline',
    ],
    searchDefaultProperties: [
      'amount',
      'closedate',
      'createdate',
      'dealname',
      'dealstage',
      'hs_lastmodifieddate',
      'hs_object_id',
      'pipeline',
    ],
    unique: [],
    fields: [
      'dealname',
      'amount',
      'closedate',
      'pipeline',
      'dealstage',
      'dealtype',
      'description',
      'hs_priority',
      'deal_currency_code',
    ],
    createdProperty: 'createdate',
    modifiedProperty: 'hs_lastmodifieddate',
    datetimes: ['closedate'],
    numbers: ['amount'],
  }),
  tasks: model({
    type: 'tasks',
    typeId: '0-27',
    singular: 'task',
    defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    searchDefaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
    unique: [],
    fields: [
      'hs_timestamp',
      'hs_task_subject',
      'hs_task_body',
      'hs_task_status',
      'hs_task_priority',
      'hs_task_type',
      'hs_task_reminders',
      'hs_queue_membership_ids',
      'hs_task_completion_date',
    ],
    createdProperty: 'hs_createdate',
    modifiedProperty: 'hs_lastmodifieddate',
    datetimes: ['hs_timestamp', 'hs_task_completion_date'],
    numbers: ['hs_task_reminders'],
    required: ['hs_timestamp'],
  }),
};

/** `contacts`, `contact` and `0-1` all name the contacts object in a path. */
export function objectTypeOf(segment: string): ObjectType | undefined {
  const s = segment.toLowerCase();
  for (const m of Object.values(models)) {
    if (s === m.type || s === m.singular || s === m.typeId) return m.type;
  }
  return undefined;
}

/** One HUBSPOT_DEFINED association type: its direction, its inverse, and whether it is "Primary". */
export interface AssociationType {
  typeId: number;
  from: ObjectType;
  to: ObjectType;
  inverse: number;
  label: string | null;
}

/** [typeId, from, to, inverse typeId, label]. Primary types are labelled; defaults are not. */
const associationTable: readonly [number, ObjectType, ObjectType, number, string | null][] = [
  [279, 'contacts', 'companies', 280, null],
  [280, 'companies', 'contacts', 279, null],
  [1, 'contacts', 'companies', 2, 'Primary'],
  [2, 'companies', 'contacts', 1, 'Primary'],
  [3, 'deals', 'contacts', 4, null],
  [4, 'contacts', 'deals', 3, null],
  [341, 'deals', 'companies', 342, null],
  [342, 'companies', 'deals', 341, null],
  [5, 'deals', 'companies', 6, 'Primary'],
  [6, 'companies', 'deals', 5, 'Primary'],
  [204, 'tasks', 'contacts', 203, null],
  [203, 'contacts', 'tasks', 204, null],
  [192, 'tasks', 'companies', 191, null],
  [191, 'companies', 'tasks', 192, null],
  [216, 'tasks', 'deals', 215, null],
  [215, 'deals', 'tasks', 216, null],
];

export const associationTypes: ReadonlyMap<number, AssociationType> = new Map(
  associationTable.map(([typeId, from, to, inverse, label]) => [
    typeId,
    { typeId, from, to, inverse, label },
  ]),
);

/** The unlabelled default type between two object types, if HubSpot defines one. */
export function defaultAssociationType(from: ObjectType, to: ObjectType): AssociationType | undefined {
  for (const t of associationTypes.values()) {
    if (t.from === from && t.to === to && t.label === null) return t;
  }
  return undefined;
}
