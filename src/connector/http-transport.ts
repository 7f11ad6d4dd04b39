import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';

/** One request as the connector HTTP client sends it. */
export interface TransportRequest {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  /** Default {@link maxResponseBytes}. */
  maxResponseBytes?: number;
}

/** A whole answer: status, headers and the body as text. */
export interface TransportResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** Sends one request and reads the whole answer; rejects as `fetch` does (see below). */
export type Transport = (url: URL, req: TransportRequest) => Promise<TransportResponse>;

/**
 * Keep-alive agents shared by every Connection of the process, as `fetch`'s global dispatcher is:
 * one pool of sockets per origin, no cap on sockets (a Connection's limiter and the engine's
 * concurrency decide how many requests are in flight), the most recently used socket first so
 * idle ones time out instead of all staying half-warm.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo', keepAliveMsecs: 1_000 }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo', keepAliveMsecs: 1_000 }),
};

const maxRedirects = 5;
/** A System's answer larger than this is refused rather than held in memory (compressed size). */
export const maxResponseBytes = 64 * 1024 * 1024;

/**
 * The default transport: `node:http`/`node:https` on keep-alive agents. On the W2 bulk-sync
 * benchmark (docs/benchmarks.md) the global `fetch` (undici) cost about 100 µs of CPU per request
 * against about 20 µs here: it builds a web `Request`, `Response`, `Headers`, a `ReadableStream`
 * for each body and an `AbortSignal` with its timer, and most of that becomes garbage at once.
 *
 * Behaves as the client needs `fetch` to: redirects are followed (at most 5; a 303, and a 301/302
 * after a POST, become a GET without body; the `authorization` header is dropped when the
 * redirect leaves the origin), gzip/deflate/br bodies are decoded, a timeout rejects with an
 * error named `TimeoutError`, and a network failure rejects with an error whose `cause` carries
 * the errno code, as `fetch`'s "fetch failed" does.
 */
export const nodeTransport: Transport = (url, req) => send(url, req, 0);

async function send(url: URL, req: TransportRequest, redirects: number): Promise<TransportResponse> {
  const res = await once(url, req);
  const location = res.headers.get('location');
  if (location === null || !isRedirect(res.status) || redirects >= maxRedirects) return res;
  const next = new URL(location, url);
  const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && req.method === 'POST');
  const headers = { ...req.headers };
  if (toGet) {
    delete headers['content-type'];
    delete headers['content-length'];
  }
  if (next.origin !== url.origin) delete headers.authorization;
  return send(
    next,
    { ...req, headers, method: toGet ? 'GET' : req.method, body: toGet ? undefined : req.body },
    redirects + 1,
  );
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function once(url: URL, req: TransportRequest): Promise<TransportResponse> {
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    const request = (secure ? https : http).request(
      url,
      { method: req.method, headers, agent: secure ? agents['https:'] : agents['http:'] },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          const cap = req.maxResponseBytes ?? maxResponseBytes;
          if (size > cap) {
            fail(networkError(new Error(`the answer exceeds ${cap} bytes`)));
            request.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(networkError(err)));
        res.on('end', () => {
          if (settled) return;
          let text: string;
          try {
            text = decode(Buffer.concat(chunks), res.headers['content-encoding']);
          } catch (err) {
            fail(networkError(err as Error));
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.rawHeaders), text });
        });
      },
    );
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${req.timeoutMs} ms`);
      err.name = 'TimeoutError';
      fail(err);
      request.destroy();
    }, req.timeoutMs);
    request.on('error', (err) => fail(networkError(err)));
    request.end(req.body);
  });
}

function networkError(cause: Error): Error {
  return new Error('fetch failed', { cause });
}

function decode(body: Buffer, encoding: string | undefined): string {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body).toString('utf8');
    case 'deflate':
      return zlib.inflateSync(body).toString('utf8');
    case 'br':
      return zlib.brotliDecompressSync(body).toString('utf8');
    default:
      return body.toString('utf8');
  }
}

/** `rawHeaders` is `[name, value, name, value, …]`, repeated names kept, as `Headers` wants them. */
function toHeaders(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

/** Wraps an injected `fetch` (tests, a custom dispatcher) as a transport. */
export function fetchTransport(fetchFn: typeof fetch): Transport {
  return async (url, req) => {
    const response = await fetchFn(url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs),
    });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
}
