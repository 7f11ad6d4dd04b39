import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import type { Step } from '../contract/flow.js';
import type { IngestResult } from '../engine/ingest-port.js';
import { hasRespondStep } from '../flow/compile.js';
import { locateJsonError } from './json-error.js';
import { type HttpServer, startHttpServer } from './server.js';
import { bodyOf, createHarness, type Harness, sign } from './test-kit.js';
import { parseWebhookBody } from './webhooks.js';

let h: Harness | undefined;
let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  await h?.close();
  h = undefined;
});

function post(harness: Harness, path: string, body: string, headers: Record<string, string> = {}) {
  return harness.app.request(path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('POST /hooks/{path}', () => {
  test('a good signature is accepted: 202, committed, secret-bearing headers dropped', async () => {
    h = await createHarness();
    const body = '{"email":"ada@example.com"}';
    const res = await post(h, '/hooks/crm/leads?src=form', body, {
      'x-weft-signature': sign(body),
      authorization: 'Bearer not-for-flows',
      cookie: 'session=abc',
      'x-delivery-id': 'd-1',
    });
    expect(res.status).toBe(202);
    const reply = (await bodyOf(res)) as { eventId: string; runId: string; duplicate: boolean };
    expect(reply).toMatchObject({ duplicate: false, runId: expect.stringMatching(/^run_/) });
    const event = await h.store.getEvent(reply.eventId);
    expect(event).toMatchObject({
      flowName: 'signed-hook',
      source: 'webhook',
      dedupeKey: 'd-1',
      payload: { body: { email: 'ada@example.com' }, query: { src: 'form' } },
    });
    const headers = event?.payload.headers ?? {};
    expect(headers['x-delivery-id']).toBe('d-1');
    for (const dropped of ['authorization', 'cookie', 'x-weft-signature'])
      expect(headers).not.toHaveProperty(dropped);
    // No respond step, so the caller is not made to wait for the run.
    expect(h.ingested[0]?.awaitResponseMs).toBeUndefined();
  });

  test('a bad or missing signature is 401', async () => {
    h = await createHarness();
    const body = '{"a":1}';
    const bad = await post(h, '/hooks/crm/leads', body, { 'x-weft-signature': sign('{"a":2}') });
    expect(bad.status).toBe(401);
    expect((await bodyOf(bad)).error).toEqual({
      code: 'unauthorized',
      message: 'invalid or missing signature',
    });
    expect((await post(h, '/hooks/crm/leads', body)).status).toBe(401);
    expect(await h.store.listEvents({ limit: 10 })).toEqual([]);
  });

  test('an unset signing secret is a 500 config_error that names no secret', async () => {
    h = await createHarness();
    const res = await post(h, '/hooks/unset', '{}', { 'x-weft-signature': 'whatever' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('config_error');
    expect(text).not.toContain('NEVER_SET');
  });

  test('a repeated dedupe header is acknowledged 200 as a duplicate', async () => {
    h = await createHarness();
    const body = '{"n":1}';
    const headers = { 'x-weft-signature': sign(body), 'x-delivery-id': 'same' };
    const first = (await bodyOf(await post(h, '/hooks/crm/leads', body, headers))) as { eventId: string };
    const second = await post(h, '/hooks/crm/leads', body, headers);
    expect(second.status).toBe(200);
    expect(await bodyOf(second)).toMatchObject({ eventId: first.eventId, duplicate: true });
    expect(await h.store.listEvents({ limit: 10 })).toHaveLength(1);
  });

  test('a dedupe expression keys on the body', async () => {
    h = await createHarness();
    const first = await post(h, '/hooks/open', '{"id":"ord-7"}');
    expect(first.status).toBe(202);
    const second = await post(h, '/hooks/open', '{"id":"ord-7","again":true}');
    expect(await bodyOf(second)).toMatchObject({ duplicate: true });
    const events = await h.store.listEvents({ limit: 10 });
    expect(events.map((e) => e.dedupeKey)).toEqual(['ord-7']);
  });

  test('a dedupe expression that fails refuses the delivery with 400', async () => {
    h = await createHarness();
    const source = `name: strict-hook
trigger:
  kind: webhook
  path: strict
  dedupe:
    expression: $number(event.body.id)
steps:
  - id: shape
    kind: map
    expression: event.body
`;
    await h.registry.deploy({ source, file: 'strict.yaml', actor: 'test' });
    const res = await post(h, '/hooks/strict', '{"id":"not-a-number"}');
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('dedupe'),
    });
    expect(await h.store.listEvents({ flowName: 'strict-hook', limit: 10 })).toEqual([]);
  });

  test('malformed JSON is a 400 naming line, column and position', async () => {
    h = await createHarness();
    const res = await post(h, '/hooks/open', '{\n  "a": 1,\n  "b": }');
    expect(res.status).toBe(400);
    const { error } = (await bodyOf(res)) as { error: { code: string; message: string; details: object } };
    expect(error.code).toBe('invalid_input');
    expect(error.message).toContain('line 3, column 8');
    expect(error.details).toMatchObject({ line: 3, column: 8, position: 19 });
  });

  test('empty body is null; a non-JSON content type keeps the text', async () => {
    h = await createHarness();
    const empty = (await bodyOf(await post(h, '/hooks/open', ''))) as { eventId: string };
    expect((await h.store.getEvent(empty.eventId))?.payload.body).toBeNull();
    const form = await h.app.request('/hooks/open', {
      method: 'POST',
      body: 'a=1&b=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const reply = (await bodyOf(form)) as { eventId: string };
    expect((await h.store.getEvent(reply.eventId))?.payload.body).toBe('a=1&b=2');
  });

  test('an unknown path is 404', async () => {
    h = await createHarness();
    const res = await post(h, '/hooks/nowhere', '{}');
    expect(res.status).toBe(404);
    expect((await bodyOf(res)).error).toMatchObject({ code: 'not_found' });
  });

  test("a flow's respond step becomes the reply", async () => {
    const ingest = {
      ingest: async (): Promise<IngestResult> => ({
        eventId: 'evt_1',
        runId: 'run_1',
        duplicate: false,
        response: { status: 201, headers: { 'x-lead': 'L-1' }, body: { lead: 'L-1' } },
      }),
    };
    h = await createHarness({ ingest });
    const res = await post(h, '/hooks/open', '{"id":"x"}');
    expect(res.status).toBe(201);
    expect(res.headers.get('x-lead')).toBe('L-1');
    expect(await res.json()).toEqual({ lead: 'L-1' });
  });
});

describe('webhook body limit over real HTTP', () => {
  /** Raw node:http, so the test controls Content-Length and chunking exactly. */
  function send(port: number, opts: { body: Buffer[]; headers: Record<string, string> }) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, method: 'POST', path: '/hooks/crm/leads', headers: opts.headers },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      // The server may answer 413 and close before the whole upload is written.
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? undefined : reject(err)));
      for (const chunk of opts.body) req.write(chunk);
      req.end();
    });
  }

  test('413 at once when Content-Length is too big', async () => {
    h = await createHarness();
    server = await startHttpServer({ app: h.app, host: '127.0.0.1', port: 0 });
    expect(server.port).toBeGreaterThan(0);
    const body = Buffer.alloc(10_000, 'a');
    const res = await send(server.port, {
      body: [body],
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error).toMatchObject({
      code: 'payload_too_large',
      details: { maxBodyBytes: 256 },
    });
  });

  test('413 when a chunked upload grows past the limit', async () => {
    h = await createHarness();
    server = await startHttpServer({ app: h.app, host: '127.0.0.1', port: 0 });
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(100, 'b'));
    const res = await send(server.port, {
      body: chunks,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    expect(res.status).toBe(413);
    expect(await h.store.listEvents({ limit: 10 })).toEqual([]);
  });

  test('a signed delivery within the limit is accepted over HTTP', async () => {
    h = await createHarness();
    server = await startHttpServer({ app: h.app, host: '127.0.0.1', port: 0 });
    const body = '{"ok":true}';
    const res = await fetch(`http://127.0.0.1:${server.port}/hooks/crm/leads`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-weft-signature': sign(body) },
    });
    expect(res.status).toBe(202);
  });
});

describe('helpers', () => {
  test('locateJsonError', () => {
    expect(locateJsonError('{"a":1}')).toBeNull();
    expect(locateJsonError('[1, [2, {"x": [null, true, false, -1.5e3, "\\u00e9"]}]]')).toBeNull();
    expect(locateJsonError('{"a":}')).toMatchObject({ position: 5, line: 1, column: 6 });
    expect(locateJsonError('{a:1}')?.reason).toBe('expected a property name in double quotes');
    expect(locateJsonError('[1,2')?.reason).toBe('unexpected end of input');
    expect(locateJsonError('{"a":1} x')).toMatchObject({
      position: 8,
      reason: 'unexpected data after the JSON value',
    });
    expect(locateJsonError('"a\nb"')?.reason).toMatch(/control character/);
    expect(locateJsonError('[01]')?.position).toBe(2);
    expect(locateJsonError('['.repeat(100_000))?.reason).toBe('unexpected end of input');
  });

  test('parseWebhookBody', () => {
    expect(parseWebhookBody(Buffer.from(''), 'application/json')).toBeNull();
    expect(parseWebhookBody(Buffer.from('{"a":1}'), undefined)).toEqual({ a: 1 });
    expect(parseWebhookBody(Buffer.from('{"a":1}'), 'application/vnd.api+json; charset=utf-8')).toEqual({
      a: 1,
    });
    expect(parseWebhookBody(Buffer.from('<x/>'), 'text/xml')).toBe('<x/>');
    expect(() => parseWebhookBody(Buffer.from('{'), 'application/json')).toThrow(/line 1, column 2/);
  });

  test('hasRespondStep looks inside branches', () => {
    const respond: Step = { id: 'r', kind: 'respond', status: 200, headers: {} };
    const map: Step = { id: 'm', kind: 'map', expression: '1' };
    expect(hasRespondStep([map])).toBe(false);
    expect(
      hasRespondStep([
        map,
        { id: 'b', kind: 'branch', cases: [{ when: 'true', steps: [map] }], default: [respond] },
      ]),
    ).toBe(true);
  });
});
