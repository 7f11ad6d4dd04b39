import type { SandboxResponse } from '../common/server.js';

/**
 * Zendesk's error bodies. Business errors are JSON `{error, description, details}`; `details` maps a
 * field to `[{description, error}]` (RecordInvalid). The 401 body is the bare `{error}` string.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): SandboxResponse {
  return { status, body, headers };
}

export function recordNotFound(): SandboxResponse {
  return json(404, { error: 'RecordNotFound', description: 'Not found' });
}

export function invalidEndpoint(): SandboxResponse {
  return json(404, { error: 'InvalidEndpoint', description: 'Not found' });
}

/** One field problem of a 422, e.g. `{field: 'email', error: 'DuplicateValue', description: 'Email: … is already being used'}`. */
export interface FieldError {
  field: string;
  error: string;
  description: string;
}

export function recordInvalid(errors: FieldError[]): SandboxResponse {
  const details: Record<string, { description: string; error: string }[]> = {};
  for (const e of errors) {
    details[e.field] = [...(details[e.field] ?? []), { description: e.description, error: e.error }];
  }
  return json(422, { error: 'RecordInvalid', description: 'Record validation errors', details });
}

export function badRequest(error: string, description: string): SandboxResponse {
  return json(400, { error, description });
}

export function unauthenticated(): SandboxResponse {
  return json(
    401,
    { error: "Couldn't authenticate you" },
    { 'www-authenticate': 'Basic realm="Web Password"' },
  );
}

/** Reads `{<root>: {...}}` from a JSON body, or answers the 400 Zendesk gives for unparsable input. */
export function readRoot(
  raw: string,
  root: string,
): { body: Record<string, unknown> } | { refusal: SandboxResponse } {
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    return { refusal: badRequest('InvalidJSON', 'The request body is not valid JSON') };
  }
  const inner = (parsed as Record<string, unknown> | null)?.[root];
  if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) {
    return { refusal: badRequest('InvalidValue', `Expected a "${root}" object in the request body`) };
  }
  return { body: inner as Record<string, unknown> };
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v)
    ? v
    : typeof v === 'string' && /^\d+$/.test(v)
      ? Number(v)
      : undefined;
export const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
