import { invokeAction } from '../../connector/action.js';
import type { Authenticator } from '../../connector/auth.js';
import type { ConnectorContext } from '../../connector/context.js';
import { ConnectorHttpClient } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';
import { type HttpResponse, httpRequestAction } from './connector.js';

/**
 * The engine's `connector: http` step, which names no Connection: the flow writes out the whole
 * request, any URL, with its secret headers. It runs the http connector's `request` action on a
 * context built for that one call.
 */

/** The secret-free description of one outbound request: this is what journals and the error queue keep. */
export interface HttpRequestInput {
  method: string;
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

export type HttpCallResult = HttpResponse;

export interface HttpCallOptions {
  request: HttpRequestInput;
  /** Resolved secret headers; sent, never stored or logged. */
  secretHeaders: Record<string, string>;
  idempotencyKey: string;
  timeoutMs: number;
  now: number;
}

/**
 * One call of the generic HTTP connector: JSON in, JSON (or text) out, every failure classified by
 * the SDK's one error table. `Idempotency-Key` is always sent so targets that honour it
 * (Stripe-style) never apply a retried write twice.
 */
export async function callHttp(opts: HttpCallOptions): Promise<HttpCallResult> {
  const { request } = opts;
  const origin = originOf(request.url);
  const auth = secretHeaderAuth(opts.secretHeaders);
  const http = new ConnectorHttpClient({
    baseUrl: origin,
    auth,
    timeoutMs: opts.timeoutMs,
    // A 429 goes straight back to the step, whose retries are durable and follow its policy.
    maxRateLimitRetries: 0,
    now: () => opts.now,
  });
  const ctx: ConnectorContext = {
    http,
    auth,
    connection: { id: 'http', baseUrl: origin, settings: {} },
    now: () => opts.now,
  };
  return invokeAction(
    httpRequestAction,
    ctx,
    { ...request, timeoutMs: opts.timeoutMs },
    { idempotencyKey: opts.idempotencyKey, attempt: 1 },
  );
}

function originOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WeftError({ code: 'invalid_input', message: `action url is not a valid URL: ${url}` });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WeftError({ code: 'invalid_input', message: `action url must be http or https: ${url}` });
  }
  return parsed.origin;
}

/** The step's secret headers, whatever their names; they are added last, over the flow's own headers. */
function secretHeaderAuth(secretHeaders: Record<string, string>): Authenticator {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(secretHeaders)) headers[name.toLowerCase()] = value;
  // `api-key` is the nearest kind: fixed header values the flow names.
  return { kind: 'api-key', headersFor: async () => ({ ...headers }) };
}
