/**
 * A small OpenAPI 3.0 schema checker: required fields, types, nullability, enums, `anyOf`, `$ref`
 * within the document. Enough to hold a sandbox to the official shapes without a validator
 * dependency; stubs the trimmed specs mark `x-trimmed` accept anything.
 */
type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  anyOf?: Schema[];
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  'x-trimmed'?: boolean;
};
export interface OpenApiDoc {
  components: { schemas: Record<string, Schema> };
}

export function checkSchema(opts: {
  doc: OpenApiDoc;
  schema: string;
  value: unknown;
  /**
   * Required fields the pinned (newer) API version removed; documented in stripe.summary.json#versioning.
   * A bare name applies to the top-level object; `schema.field` (e.g. `line_item.proration`) to every
   * nested object of that schema.
   */
  removedSinceSpec?: string[];
}): string[] {
  const errors: string[] = [];
  const root = opts.doc.components.schemas[opts.schema];
  if (root === undefined) return [`no schema ${opts.schema}`];
  visit(
    opts.doc,
    root,
    opts.value,
    opts.schema,
    errors,
    new Set(opts.removedSinceSpec ?? []),
    0,
    opts.schema,
  );
  return errors;
}

function resolve(doc: OpenApiDoc, s: Schema): Schema {
  if (s.$ref === undefined) return s;
  const name = s.$ref.replace('#/components/schemas/', '');
  return doc.components.schemas[name] ?? { 'x-trimmed': true };
}

function visit(
  doc: OpenApiDoc,
  raw: Schema,
  value: unknown,
  path: string,
  errors: string[],
  removed: Set<string>,
  depth: number,
  owner = '',
): void {
  const s = resolve(doc, raw);
  const schemaName = raw.$ref === undefined ? owner : raw.$ref.replace('#/components/schemas/', '');
  if (s['x-trimmed'] || depth > 6) return;
  if (value === null) {
    if (!s.nullable && !(raw.nullable ?? false)) errors.push(`${path}: null but not nullable`);
    return;
  }
  if (s.anyOf) {
    const ok = s.anyOf.some((alt) => {
      const sub: string[] = [];
      visit(doc, alt, value, path, sub, removed, depth + 1, schemaName);
      return sub.length === 0;
    });
    if (!ok) errors.push(`${path}: matches none of anyOf`);
    return;
  }
  if (s.enum && !s.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`);
  const actual = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
  if (s.type !== undefined) {
    const fits = s.type === actual || (s.type === 'number' && actual === 'integer');
    if (!fits) {
      errors.push(`${path}: expected ${s.type}, got ${actual}`);
      return;
    }
  }
  if (actual === 'array' && s.items) {
    (value as unknown[]).forEach((item, i) => {
      visit(doc, s.items as Schema, item, `${path}[${i}]`, errors, removed, depth + 1, schemaName);
    });
  }
  if (actual === 'object' && s.properties) {
    const obj = value as Record<string, unknown>;
    for (const field of s.required ?? []) {
      if (!(field in obj) && !(depth === 0 && removed.has(field)) && !removed.has(`${schemaName}.${field}`))
        errors.push(`${path}.${field}: required, missing`);
    }
    for (const [k, v] of Object.entries(obj)) {
      const prop = s.properties[k];
      if (prop !== undefined) visit(doc, prop, v, `${path}.${k}`, errors, removed, depth + 1, schemaName);
    }
  }
}
