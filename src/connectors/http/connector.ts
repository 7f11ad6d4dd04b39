import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { defineConnector } from '../../connector/connector.js';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';

/**
 * The generic HTTP connector: one `request` action, JSON in and JSON (or text) out, on the SDK's
 * ConnectorHttpClient, so auth, timeouts, the rate limiter and the error table are the ones every
 * connector uses. Flows reach it two ways: `connector: http` steps that write the whole request
 * out (`http-call.ts`), and Connections whose base URL and credentials the request is relative to.
 */

/**
 * A generic Connection has no natural default. This host can never resolve (RFC 6761 `.invalid`),
 * and the action refuses it up front with a clear message instead of a DNS failure.
 */
export const httpNoBaseUrl = 'https://connection-base-url-not-set.invalid';

/** Response bodies kept in the journal are capped so one chatty target cannot bloat the store. */
export const maxStoredBodyChars = 256 * 1024;

/** Only headers a later step may reasonably need; cookies and auth never reach the journal. */
const keptHeaders = ['content-type', 'location', 'etag', 'x-request-id'] as const;

const Method = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));

/** The secret-free request: what journals, the ledger and the error queue keep. */
export const HttpRequestInput = z.object({
  method: Method,
  /** Absolute (on the Connection's origin) or a path below the Connection's base URL. */
  url: z.string().min(1),
  /** Set on the URL, replacing a parameter of the same name already in it. */
  query: z.record(z.string(), z.string()).default({}),
  headers: z.record(z.string(), z.string()).default({}),
  /** Sent as JSON; ignored for GET. */
  body: z.unknown().optional(),
  timeoutMs: z.number().int().min(1).max(300_000).optional(),
});

export const HttpResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
});
export type HttpResponse = z.infer<typeof HttpResponse>;

export const httpRequestAction = defineAction({
  kind: 'write',
  name: 'request',
  description:
    'Send one HTTP request with an Idempotency-Key header; the target must honour that header for a retried write to apply once',
  input: HttpRequestInput,
  output: HttpResponse,
  // The engine's (run, step, item) key goes out as `Idempotency-Key` on every attempt. Whether a
  // repeat is applied once is up to the target: Stripe-style APIs honour it, others do not.
  idempotency: { strategy: 'native-key' },
  run: async (ctx, input, call) => sendRequest(ctx, input, call.idempotencyKey),
});

async function sendRequest(
  ctx: ConnectorContext,
  input: z.output<typeof HttpRequestInput>,
  idempotencyKey: string,
): Promise<HttpResponse> {
  if (ctx.connection.baseUrl === httpNoBaseUrl) {
    throw new WeftError({
      code: 'invalid_input',
      message: `connection ${ctx.connection.id} needs a baseUrl: the http connector has no default`,
    });
  }
  const url = ctx.http.urlFor(input.url);
  for (const [name, value] of Object.entries(input.query)) url.searchParams.set(name, value);
  const response = await ctx.http.request({
    method: input.method,
    path: url.toString(),
    headers: input.headers,
    ...(input.body !== undefined && input.method !== 'GET' ? { json: input.body } : {}),
    idempotencyKey,
    ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
  });
  return { status: response.status, headers: pickHeaders(response.headers), body: capText(response.body) };
}

function capText(body: unknown): unknown {
  if (typeof body !== 'string' || body.length <= maxStoredBodyChars) return body;
  return `${body.slice(0, maxStoredBodyChars)}…`;
}

function pickHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of keptHeaders) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/**
 * Any HTTP API, on a Connection's base URL and credentials.
 *
 * @example
 * const api = connect(httpConnector, { id: 'crm', connector: 'http', baseUrl: 'https://api.example.com/v2', auth: { kind: 'bearer', token } });
 * await api.run('request', { method: 'POST', url: '/orders', body: { sku: 'A1' } }, { idempotencyKey: 'run1:post' });
 */
export const httpConnector = defineConnector({
  name: 'http',
  title: 'HTTP (generic)',
  defaultBaseUrl: httpNoBaseUrl,
  auth: ['api-key', 'bearer', 'basic', 'oauth2-client-credentials', 'oauth2-refresh-token'],
  objects: { response: HttpResponse },
  actions: { request: httpRequestAction },
  http: { idempotencyHeader: 'Idempotency-Key' },
});
