import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../connector/connector.js';
import { WeftError } from '../../contract/errors.js';
import { httpConnector, maxStoredBodyChars } from './connector.js';
import { callHttp } from './http-call.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A target on 127.0.0.1 that records every request and answers what the test queued. */
let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: { status: number; headers: Record<string, string>; body: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
  answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
});

const errorOf = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as WeftError);

describe('http connector on a Connection', () => {
  const api = () =>
    connect(httpConnector, {
      id: 'crm',
      connector: 'http',
      baseUrl: `${base}/api/v2`,
      auth: { kind: 'bearer', token: 'tok_123' },
    });

  it('joins paths to the base URL, sets query parameters and sends auth and Idempotency-Key', async () => {
    answer = {
      status: 201,
      headers: { 'content-type': 'application/json', location: '/api/v2/orders/9', 'set-cookie': 'a=b' },
      body: '{"id":9}',
    };
    const out = await api().run(
      'request',
      { method: 'post', url: '/orders?page=1&keep=yes', query: { page: '2' }, body: { sku: 'A1' } },
      { idempotencyKey: 'run1:post' },
    );
    expect(out).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', location: '/api/v2/orders/9' },
      body: { id: 9 },
    });
    const req = seen[0] as Seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v2/orders?page=2&keep=yes');
    expect(req.headers.authorization).toBe('Bearer tok_123');
    expect(req.headers['idempotency-key']).toBe('run1:post');
    expect(JSON.parse(req.body)).toEqual({ sku: 'A1' });
  });

  it("keeps the caller's content type and sends no body on GET", async () => {
    await api().run('request', {
      method: 'PATCH',
      url: '/orders/9',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { note: null },
    });
    await api().run('request', { method: 'GET', url: '/orders/9', body: { ignored: true } });
    expect(seen[0]?.headers['content-type']).toBe('application/merge-patch+json');
    expect(seen[0]?.body).toBe('{"note":null}');
    expect(seen[1]?.body).toBe('');
  });

  it('refuses another origin, so the credentials never leave the Connection', async () => {
    const err = await errorOf(api().run('request', { method: 'GET', url: 'http://127.0.0.2:1/x' }));
    expect(err?.code).toBe('invalid_input');
    expect(seen).toHaveLength(0);
  });

  it('needs a base URL on the Connection', async () => {
    const bare = connect(httpConnector, {
      id: 'bare',
      connector: 'http',
      auth: { kind: 'bearer', token: 'tok_123' },
    });
    const err = await errorOf(bare.run('request', { method: 'GET', url: `${base}/x` }));
    expect(err?.code).toBe('invalid_input');
    expect(err?.message).toMatch(/needs a baseUrl/);
  });
});

describe('callHttp (the engine step that names no Connection)', () => {
  const call = (over: Partial<Parameters<typeof callHttp>[0]> = {}) =>
    callHttp({
      request: { method: 'POST', url: `${base}/hook?a=1`, query: { b: '2' }, headers: { 'X-Flow': 'f' } },
      secretHeaders: { 'X-Api-Key': 'secret-value' },
      idempotencyKey: 'run1:s1',
      timeoutMs: 5_000,
      now: Date.now(),
      ...over,
    });

  it('sends the flow headers, the secret headers and the idempotency key to any URL', async () => {
    await call({
      request: { method: 'POST', url: `${base}/hook?a=1`, query: { b: '2' }, headers: {}, body: [1] },
    });
    const req = seen[0] as Seen;
    expect(req.url).toBe('/hook?a=1&b=2');
    expect(req.headers['x-api-key']).toBe('secret-value');
    expect(req.headers['idempotency-key']).toBe('run1:s1');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toBe('[1]');
  });

  it('hands a 429 straight back with its Retry-After, for the step to retry durably', async () => {
    answer = { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' };
    const err = await errorOf(call());
    expect(err).toBeInstanceOf(WeftError);
    expect(err?.code).toBe('rate_limited');
    expect(err?.retryAfterMs).toBe(3000);
    expect(seen).toHaveLength(1);
  });

  it('classifies failures with the SDK table and keeps secrets out of them', async () => {
    answer = { status: 503, headers: {}, body: 'down' };
    const unavailable = await errorOf(call());
    expect(unavailable?.code).toBe('unavailable');
    expect(unavailable?.retryable).toBe(true);
    answer = { status: 404, headers: {}, body: '' };
    const missing = await errorOf(call());
    expect(missing?.code).toBe('not_found');
    expect(missing?.retryable).toBe(false);
    expect(JSON.stringify([unavailable?.toJSON(), missing?.toJSON()])).not.toContain('secret-value');
  });

  it('caps a long text body kept for the journal', async () => {
    answer = {
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(maxStoredBodyChars + 10),
    };
    const out = await call();
    expect(typeof out.body).toBe('string');
    expect((out.body as string).length).toBe(maxStoredBodyChars + 1);
  });

  it('refuses URLs that are not http or https before sending anything', async () => {
    const err = await errorOf(
      call({ request: { method: 'GET', url: 'ftp://127.0.0.1/x', query: {}, headers: {} } }),
    );
    expect(err?.code).toBe('invalid_input');
    expect(err?.retryable).toBe(false);
  });

  it('classifies a refused connection as a retryable network failure', async () => {
    const err = await errorOf(
      call({ request: { method: 'GET', url: 'http://127.0.0.1:1/x', query: {}, headers: {} } }),
    );
    expect(err?.code).toBe('network');
    expect(err?.retryable).toBe(true);
  });
});
