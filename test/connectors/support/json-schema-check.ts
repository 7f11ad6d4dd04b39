/**
 * A small JSON Schema checker for Swagger 2.0 documents and plain JSON Schema files (the Slack
 * specs): `$ref` to `#/definitions/…`, types, enums, patterns, required, `additionalProperties:
 * false`, array items, minItems, uniqueItems, anyOf/oneOf. Stricter than openapi-check.ts (which
 * holds Stripe's OpenAPI 3 files) because Slack's schemas close their objects.
 *
 * Slack's 2021 spec writes "one of these" as a tuple-form `items` on a non-array schema (e.g.
 * `objs_conversation`, `bot_id`); JSON Schema would ignore it, which would check nothing, so here
 * it means "matches one of the listed schemas" — what the spec's authors meant.
 */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema | JsonSchema[];
  minItems?: number;
  uniqueItems?: boolean;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export interface JsonSchemaDoc {
  definitions?: Record<string, JsonSchema>;
}

/** Every way `value` departs from `schema`, as `path: problem` lines; empty when it conforms. */
export function checkJsonSchema(opts: {
  doc: JsonSchemaDoc;
  schema: JsonSchema;
  value: unknown;
  path?: string;
}): string[] {
  const errors: string[] = [];
  visit(opts.doc, opts.schema, opts.value, opts.path ?? '$', errors, 0);
  return errors;
}

function resolve(doc: JsonSchemaDoc, s: JsonSchema): JsonSchema {
  if (s.$ref === undefined) return s;
  const name = s.$ref.replace('#/definitions/', '');
  const found = doc.definitions?.[name];
  if (found === undefined) throw new Error(`unresolvable $ref ${s.$ref}`);
  return resolve(doc, found);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function matchesOne(
  doc: JsonSchemaDoc,
  alternatives: JsonSchema[],
  value: unknown,
  path: string,
  depth: number,
) {
  return alternatives.some((alt) => {
    const sub: string[] = [];
    visit(doc, alt, value, path, sub, depth + 1);
    return sub.length === 0;
  });
}

function visit(
  doc: JsonSchemaDoc,
  raw: JsonSchema,
  value: unknown,
  path: string,
  errors: string[],
  depth: number,
): void {
  if (depth > 40) return;
  const s = resolve(doc, raw);
  const actual = typeOf(value);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    if (!matchesOne(doc, alternatives, value, path, depth))
      errors.push(`${path}: matches none of the alternatives`);
    return;
  }
  if (Array.isArray(s.items) && s.type === undefined && actual !== 'array') {
    if (!matchesOne(doc, s.items, value, path, depth))
      errors.push(`${path}: matches none of the listed schemas`);
    return;
  }
  if (s.type !== undefined) {
    const allowed = Array.isArray(s.type) ? s.type : [s.type];
    const fits = allowed.some((t) => t === actual || (t === 'number' && actual === 'integer'));
    if (!fits) {
      errors.push(`${path}: expected ${allowed.join('|')}, got ${actual}`);
      return;
    }
  }
  if (s.enum && !s.enum.some((e) => e === value))
    errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(value))
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
    if (s.format === 'uri' && !/^[a-z][a-z0-9+.-]*:/i.test(value)) errors.push(`${path}: not a URI`);
  }
  if (Array.isArray(value)) {
    if (s.minItems !== undefined && value.length < s.minItems)
      errors.push(`${path}: fewer than ${s.minItems} items`);
    if (s.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
      errors.push(`${path}: items not unique`);
    if (s.items !== undefined && !Array.isArray(s.items)) {
      const items = s.items;
      for (const [i, item] of value.entries()) visit(doc, items, item, `${path}[${i}]`, errors, depth + 1);
    }
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const field of s.required ?? [])
      if (!(field in obj)) errors.push(`${path}.${field}: required, missing`);
    for (const [k, v] of Object.entries(obj)) {
      const prop = s.properties?.[k];
      if (prop !== undefined) visit(doc, prop, v, `${path}.${k}`, errors, depth + 1);
      else if (s.additionalProperties === false)
        errors.push(`${path}.${k}: not allowed (additionalProperties: false)`);
      else if (typeof s.additionalProperties === 'object')
        visit(doc, s.additionalProperties, v, `${path}.${k}`, errors, depth + 1);
    }
  }
}
