import { WeftError } from '../contract/errors.js';
import type { Authenticator } from './auth.js';
import { encodeForm, type FormValue } from './form-encoding.js';
import { errorFromNetwork, errorFromResponse } from './http-errors.js';
import { fetchTransport, nodeTransport, type Transport, type TransportResponse } from './http-transport.js';
import { type ConnectionRateLimiter, unlimited } from './rate-limiter.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

/** One request of a connector. Give `json` or `form`, not both. */
export interface ConnectorRequest {
  method: HttpMethod;
  /** A path below the Connection's base URL (`/v1/customers`) or an absolute URL on the same origin. */
  path: string;
  query?: Record<string, QueryValue | QueryValue[]>;
  json?: unknown;
  form?: Record<string, FormValue>;
  headers?: Record<string, string>;
  /** Sent in the client's idempotency header; the same key on every retry of one write. */
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface ConnectorResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Context a connector's classifier gets to refine the generic status → code mapping. */
export interface ClassifyContext {
  error: WeftError;
  status: number;
  headers: Headers;
  body: unknown;
}

export interface ConnectorHttpClientOptions {
  baseUrl: string;
  auth: Authenticator;
  limiter?: ConnectionRateLimiter;
  /** Headers on every request (e.g. a pinned API version). Never put secrets here: use `auth`. */
  defaultHeaders?: Record<string, string>;
  /** Default 'Idempotency-Key'. */
  idempotencyHeader?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** 429s retried inside the client before the error reaches the engine (default 3). */
  maxRateLimitRetries?: number;
  /** A 429 asking for a longer wait goes to the engine, whose backoff is durable (default 30 s). */
  maxRateLimitWaitMs?: number;
  /** First back-off after a 429 without Retry-After (default 500 ms, doubled each time). */
  rateLimitBackoffMs?: number;
  /** Refines the generic error with the system's error body (its codes, its retry hints). */
  classify?: (ctx: ClassifyContext) => WeftError;
  /** Sends requests through this `fetch` instead of the default `node:http` transport (tests). */
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
}

/**
 * The one HTTP client of every connector: auth headers, the Connection's rate limiter, timeouts,
 * JSON or form bodies, idempotency keys, and every failure mapped to a WeftError with its retry
 * verdict. A 429 is retried here (honouring Retry-After or backing off exponentially) because a
 * rejected request was not applied, so retrying it is always safe; anything else is returned to the
 * engine, whose retries are durable.
 *
 * @example
 * const http = new ConnectorHttpClient({ baseUrl: 'https://api.stripe.com', auth });
 * const { body } = await http.request({ method: 'GET', path: '/v1/customers', query: { limit: 10 } });
 */
export class ConnectorHttpClient {
  readonly #o: ConnectorHttpClientOptions;
  readonly #base: URL;
  readonly #transport: Transport;

  constructor(opts: ConnectorHttpClientOptions) {
    this.#o = opts;
    this.#base = new URL(opts.baseUrl);
    // An injected fetch (tests) is used as given; otherwise node:http on keep-alive agents.
    this.#transport = opts.fetch ? fetchTransport(opts.fetch) : nodeTransport;
  }

  /** Sends the request; resolves with a 2xx response, rejects with a WeftError. */
  async request<T = unknown>(req: ConnectorRequest): Promise<ConnectorResponse<T>> {
    const maxRetries = this.#o.maxRateLimitRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once<T>(req);
      } catch (err) {
        const wait = this.#rateLimitWait(err, attempt);
        if (wait === undefined || attempt >= maxRetries) throw err;
        (this.#o.limiter ?? unlimited).pause(this.#now() + wait);
      }
    }
  }

  /** The URL a request goes to; exposed for pagination helpers that follow absolute next links. */
  urlFor(path: string, query?: ConnectorRequest['query']): URL {
    const url = /^https?:\/\//.test(path)
      ? new URL(path)
      : new URL(joinPath(this.#base.pathname, path), this.#base);
    if (url.origin !== this.#base.origin) {
      // Following a server-provided link to another origin would hand it our credentials.
      throw new WeftError({
        code: 'invalid_input',
        message: `refusing to call ${url.origin}: not the Connection's origin`,
      });
    }
    for (const [k, v] of Object.entries(query ?? {})) {
      for (const item of Array.isArray(v) ? v : [v])
        if (item !== undefined) url.searchParams.append(k, String(item));
    }
    return url;
  }

  async #once<T>(req: ConnectorRequest): Promise<ConnectorResponse<T>> {
    const limiter = this.#o.limiter ?? unlimited;
    const url = this.urlFor(req.path, req.query);
    const target = `${url.origin}${url.pathname}`;
    const timeoutMs = req.timeoutMs ?? this.#o.timeoutMs ?? 30_000;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...lower(this.#o.defaultHeaders ?? {}),
    };
    Object.assign(headers, lower(req.headers ?? {}));
    let body: string | undefined;
    // A content type the caller set wins (`application/merge-patch+json` is still a JSON body).
    if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] ??= 'application/json';
    } else if (req.form !== undefined) {
      body = encodeForm(req.form);
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    if (req.idempotencyKey !== undefined) {
      headers[(this.#o.idempotencyHeader ?? 'Idempotency-Key').toLowerCase()] = req.idempotencyKey;
    }
    await limiter.acquire();
    Object.assign(headers, await this.#o.auth.headersFor({ method: req.method, url }));
    let response: TransportResponse;
    try {
      response = await this.#transport(url, { method: req.method, headers, body, timeoutMs });
    } catch (err) {
      throw errorFromNetwork({ err, method: req.method, target, timeoutMs });
    }
    const { text } = response;
    limiter.observe({ status: response.status, headers: response.headers });
    const parsed = parseBody(response.headers, text);
    if (response.status < 200 || response.status > 299) {
      const error = errorFromResponse({
        status: response.status,
        headers: response.headers,
        method: req.method,
        target,
        bodyExcerpt: text.slice(0, 500),
        now: this.#now(),
      });
      const classify = this.#o.classify;
      throw classify
        ? classify({ error, status: response.status, headers: response.headers, body: parsed })
        : error;
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /** How long to wait before retrying a 429 here, or undefined to hand the error to the engine. */
  #rateLimitWait(err: unknown, attempt: number): number | undefined {
    if (!(err instanceof WeftError) || err.code !== 'rate_limited') return undefined;
    const max = this.#o.maxRateLimitWaitMs ?? 30_000;
    if (err.retryAfterMs !== undefined) return err.retryAfterMs <= max ? err.retryAfterMs : undefined;
    const base = (this.#o.rateLimitBackoffMs ?? 500) * 2 ** attempt;
    // Jitter keeps many workers that hit the limit together from retrying together.
    return Math.min(max, Math.round(base / 2 + (this.#o.random ?? Math.random)() * (base / 2)));
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}

function joinPath(basePath: string, path: string): string {
  const left = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  return `${left}${path.startsWith('/') ? path : `/${path}`}`;
}

function parseBody(headers: Headers, text: string): unknown {
  if (text === '') return null;
  if ((headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function lower(obj: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) out[k.toLowerCase()] = v;
  return out;
}
