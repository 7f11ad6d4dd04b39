/**
 * The tables the sandbox serves and what it knows of each field: its type (how queries compare it
 * and how it renders), the table a reference points to, choice labels for display values, and
 * which fields the System fills in itself. Field names and choice values follow
 * ../shared/specs/servicenow/servicenow.table.summary.json.
 */
export type FieldType =
  | 'sys_id'
  | 'string'
  | 'integer'
  | 'boolean'
  | 'glide_date_time'
  | 'reference'
  | 'journal';

export interface FieldDef {
  type: FieldType;
  /** The table a reference field points to. */
  ref?: string;
  /** Display labels of a choice field, by stored value. */
  choices?: Record<string, string>;
  /** Set by the System (sys_* fields, number); ignored in request bodies. */
  readOnly?: boolean;
}

export interface TableDef {
  name: string;
  /** The field whose value is the record's display value (reference fields render it). */
  displayField: string;
  fields: Record<string, FieldDef>;
}

const s: FieldDef = { type: 'string' };
const date: FieldDef = { type: 'glide_date_time' };
const bool: FieldDef = { type: 'boolean' };
const ref = (table: string): FieldDef => ({ type: 'reference', ref: table });
const choice = (choices: Record<string, string>): FieldDef => ({ type: 'integer', choices });
const stringChoice = (values: string[]): FieldDef => ({
  type: 'string',
  choices: Object.fromEntries(values.map((v) => [v, v.charAt(0).toUpperCase() + v.slice(1)])),
});

/** The sys_* fields every table has. */
const system: Record<string, FieldDef> = {
  sys_id: { type: 'sys_id' },
  sys_created_on: { ...date, readOnly: true },
  sys_created_by: { ...s, readOnly: true },
  sys_updated_on: { ...date, readOnly: true },
  sys_updated_by: { ...s, readOnly: true },
  sys_mod_count: { type: 'integer', readOnly: true },
};

export const incidentStates: Record<string, string> = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};
const levels = { '1': '1 - High', '2': '2 - Medium', '3': '3 - Low' };

export const tables: Record<string, TableDef> = {
  incident: {
    name: 'incident',
    displayField: 'number',
    fields: {
      ...system,
      number: { ...s, readOnly: true },
      short_description: s,
      description: s,
      caller_id: ref('sys_user'),
      state: choice(incidentStates),
      incident_state: choice(incidentStates),
      hold_reason: choice({
        '1': 'Awaiting Caller',
        '3': 'Awaiting Problem',
        '4': 'Awaiting Vendor',
        '5': 'Awaiting Change',
      }),
      impact: choice(levels),
      urgency: choice(levels),
      priority: choice({
        '1': '1 - Critical',
        '2': '2 - High',
        '3': '3 - Moderate',
        '4': '4 - Low',
        '5': '5 - Planning',
      }),
      category: stringChoice(['inquiry', 'software', 'hardware', 'network', 'database']),
      subcategory: s,
      assignment_group: ref('sys_user_group'),
      assigned_to: ref('sys_user'),
      opened_at: date,
      opened_by: ref('sys_user'),
      resolved_at: date,
      resolved_by: ref('sys_user'),
      closed_at: date,
      close_code: s,
      close_notes: s,
      contact_type: stringChoice(['phone', 'email', 'self-service', 'walk-in', 'chat']),
      company: ref('core_company'),
      correlation_id: s,
      correlation_display: s,
      active: bool,
      work_notes: { type: 'journal' },
      comments: { type: 'journal' },
    },
  },
  sys_user: {
    name: 'sys_user',
    displayField: 'name',
    fields: {
      ...system,
      user_name: s,
      first_name: s,
      last_name: s,
      name: s,
      email: s,
      phone: s,
      title: s,
      active: bool,
      company: ref('core_company'),
      department: s,
    },
  },
  sys_user_group: {
    name: 'sys_user_group',
    displayField: 'name',
    fields: { ...system, name: s, description: s, manager: ref('sys_user'), email: s, active: bool },
  },
  core_company: {
    name: 'core_company',
    displayField: 'name',
    fields: {
      ...system,
      name: s,
      street: s,
      city: s,
      country: s,
      phone: s,
      website: s,
      customer: bool,
      vendor: bool,
    },
  },
};

/**
 * The definition at a field path, following references one table at a time (`caller_id.email`
 * is the `email` of the `sys_user` that `caller_id` points to). Undefined for an unknown field.
 */
export function fieldAt(table: TableDef, path: string): FieldDef | undefined {
  const [head, ...rest] = path.split('.');
  const def = table.fields[head ?? ''];
  if (def === undefined || rest.length === 0) return def;
  const target = def.ref === undefined ? undefined : tables[def.ref];
  return target === undefined ? undefined : fieldAt(target, rest.join('.'));
}
