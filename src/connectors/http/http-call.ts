import { errorFromNetwork, errorFromResponse } from '../../connector/http-errors.js';

/** The secret-free description of one outbound request: this is what journals and the error queue keep. */
export interface HttpRequestInput {
  method: string;
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface HttpCallResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HttpCallOptions {
  request: HttpRequestInput;
  /** Resolved secret headers; sent, never stored or logged. */
  secretHeaders: Record<string, string>;
  idempotencyKey: string;
  timeoutMs: number;
  now: number;
}

/** Response bodies kept in the journal are capped so one chatty target cannot bloat the store. */
const maxStoredBodyChars = 256 * 1024;

/**
 * The generic HTTP connector's one call: JSON in, JSON (or text) out, every failure classified.
 * `Idempotency-Key` is always sent so targets that honour it (Stripe-style) never apply a retried
 * write twice.
 */
export async function callHttp(opts: HttpCallOptions): Promise<HttpCallResult> {
  const { request } = opts;
  const url = new URL(request.url);
  for (const [k, v] of Object.entries(request.query)) url.searchParams.set(k, v);
  const target = `${url.origin}${url.pathname}`;
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...lowerKeys(request.headers),
    ...lowerKeys(opts.secretHeaders),
    'idempotency-key': opts.idempotencyKey,
  };
  let body: string | undefined;
  if (request.body !== undefined && request.method !== 'GET') {
    body = JSON.stringify(request.body);
    headers['content-type'] ??= 'application/json';
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    throw errorFromNetwork({ err, method: request.method, target, timeoutMs: opts.timeoutMs });
  }
  if (!response.ok) {
    throw errorFromResponse({
      status: response.status,
      headers: response.headers,
      method: request.method,
      target,
      bodyExcerpt: text.slice(0, 500),
      now: opts.now,
    });
  }
  return { status: response.status, headers: pickHeaders(response.headers), body: parseBody(response, text) };
}

function parseBody(response: Response, text: string): unknown {
  if (text === '') return null;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      // A target that mislabels its body still gets its answer recorded, as text.
    }
  }
  return text.length > maxStoredBodyChars ? `${text.slice(0, maxStoredBodyChars)}…` : text;
}

/** Only headers a later step may reasonably need; cookies and auth never reach the journal. */
const keptHeaders = ['content-type', 'location', 'etag', 'x-request-id'];
function pickHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of keptHeaders) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

function lowerKeys(obj: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) out[k.toLowerCase()] = v;
  return out;
}
