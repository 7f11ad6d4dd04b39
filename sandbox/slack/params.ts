import type { SandboxRequest, SandboxResponse } from '../common/server.js';

/** Arguments of one Web API call, from a JSON body, a form body or the query string. */
export type Params = Record<string, unknown>;

/** An `{ok:false}` answer: Slack reports failures in the body of an HTTP 200. */
export function fail(error: string, extra: Record<string, unknown> = {}): SandboxResponse {
  return { status: 200, body: { ok: false, error, ...extra } };
}

export function okAnswer(body: Record<string, unknown>): SandboxResponse {
  return { status: 200, body: { ok: true, ...body } };
}

/**
 * Reads the call's arguments the way the Web API does: query parameters always, plus a form body
 * or (for POSTs with `application/json`) a JSON object. Returns the Slack error for a body it
 * cannot read.
 */
export function readParams(req: SandboxRequest): Params | { error: string } {
  const params: Params = Object.fromEntries(req.query);
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (req.method !== 'POST' || req.body.trim() === '') return params;
  if (type.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body);
    } catch {
      return { error: 'invalid_json' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return { error: 'json_not_object' };
    return { ...params, ...(parsed as Params) };
  }
  if (type.startsWith('application/x-www-form-urlencoded') || type === '') {
    return { ...params, ...Object.fromEntries(new URLSearchParams(req.body)) };
  }
  if (type.startsWith('multipart/form-data')) return { error: 'invalid_form_data' };
  return { error: 'invalid_post_type' };
}

/** The bearer token, or (form and query callers) the `token` argument. */
export function tokenOf(req: SandboxRequest, params: Params): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  return typeof params.token === 'string' && params.token !== '' ? params.token : undefined;
}

export function str(p: Params, name: string): string | undefined {
  const v = p[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Form arguments arrive as `true`/`1`; JSON ones as booleans. */
export function bool(p: Params, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined) return undefined;
  return v === true || v === 'true' || v === '1' || v === 1;
}

export function int(p: Params, name: string): number | undefined | 'invalid' {
  const v = p[name];
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isInteger(n) ? n : 'invalid';
}

/** Structured arguments (`blocks`, `attachments`, `metadata`) are JSON strings in a form body. */
export function structured(p: Params, name: string): unknown | 'invalid' {
  const v = p[name];
  if (typeof v !== 'string') return v;
  if (v.trim() === '') return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return 'invalid';
  }
}

/** Slack cursors are base64 of `<kind>:<position>` (e.g. `next_ts:1512085861000543`). */
export function encodeCursor(kind: string, position: string | number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

export function decodeCursor(cursor: string, kind: string): string | undefined {
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : undefined;
}
