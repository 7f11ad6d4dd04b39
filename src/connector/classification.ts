import { z } from 'zod';

/** How sensitive a field is; policies decide which roles, models and Systems may see each. */
export const classifications = ['pii', 'financial', 'confidential'] as const;
export type Classification = (typeof classifications)[number];

/**
 * Where classifications live. A dedicated registry (not `.meta()`) keeps them out of generated
 * JSON schemas and away from other metadata users.
 */
export const classificationRegistry = z.registry<{ classifications: readonly Classification[] }>();

function classify<T extends z.ZodType>(schema: T, classification: Classification): T {
  const existing = classificationRegistry.get(schema)?.classifications ?? [];
  // Clone so classifying a shared schema (`const Email = z.email()`) does not classify every use of it.
  const copy = schema.clone();
  const merged = existing.includes(classification) ? existing : [...existing, classification];
  classificationRegistry.add(copy, { classifications: merged });
  return copy;
}

/**
 * Marks a field as personal data.
 *
 * @example
 * const Customer = z.object({ email: pii(z.string()).nullable() });
 */
export const pii = <T extends z.ZodType>(schema: T): T => classify(schema, 'pii');
/** Marks a field as financial data (amounts, balances, payment details). */
export const financial = <T extends z.ZodType>(schema: T): T => classify(schema, 'financial');
/** Marks a field as confidential business data. */
export const confidential = <T extends z.ZodType>(schema: T): T => classify(schema, 'confidential');

/** The classifications of one schema, looking through optional/nullable/default wrappers. */
export function classificationsOf(schema: z.ZodType): Classification[] {
  const found = new Set<Classification>();
  let current: z.ZodType | undefined = schema;
  while (current !== undefined) {
    for (const c of classificationRegistry.get(current)?.classifications ?? []) found.add(c);
    current = innerOf(current);
  }
  return [...found];
}

/**
 * Every classified field of an object schema by dotted path (`address.line1`, `lines.data[].amount`):
 * what redaction and policy checks walk.
 *
 * @example
 * classifiedFields(Customer) // { email: ['pii'], balance: ['financial'] }
 */
export function classifiedFields(schema: z.ZodType, prefix = ''): Record<string, Classification[]> {
  const out: Record<string, Classification[]> = {};
  const own = classificationsOf(schema);
  if (prefix !== '' && own.length > 0) out[prefix] = own;
  const base = unwrapAll(schema);
  if (base instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(base.shape as Record<string, z.ZodType>)) {
      Object.assign(out, classifiedFields(field, prefix === '' ? key : `${prefix}.${key}`));
    }
  } else if (base instanceof z.ZodArray) {
    Object.assign(out, classifiedFields(base.element as z.ZodType, `${prefix}[]`));
  }
  return out;
}

function unwrapAll(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let inner = innerOf(current); inner !== undefined; inner = innerOf(current)) current = inner;
  return current;
}

/** optional, nullable, default, readonly, catch… all keep their wrapped schema in `def.innerType`. */
function innerOf(schema: z.ZodType): z.ZodType | undefined {
  const def = schema._zod.def as { innerType?: z.ZodType };
  return def.innerType;
}
