import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeTransport } from './http-transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('nodeTransport', () => {
  let a: { url: string; server: Server };
  let b: { url: string; server: Server };
  const seen: { path: string; method: string; auth: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    b = await serve((req, res, body) => {
      seen.push({ path: req.url ?? '', method: req.method ?? '', auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"at":"b"}');
    });
    a = await serve((req, res, body) => {
      seen.push({ path: req.url ?? '', method: req.method ?? '', auth: req.headers.authorization, body });
      if (req.url === '/see-other') res.writeHead(303, { location: '/landing' }).end();
      else if (req.url === '/elsewhere') res.writeHead(307, { location: `${b.url}/moved` }).end();
      else if (req.url === '/gzip')
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}'));
      else if (req.url === '/big') res.writeHead(200).end('x'.repeat(10_000));
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2_000);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"at":"a"}');
    });
  });
  afterAll(async () => {
    for (const s of [a, b]) {
      s.server.closeAllConnections();
      await new Promise<void>((resolve) => s.server.close(() => resolve()));
    }
  });

  const req = (method: string, body?: string) => ({
    method,
    headers: { authorization: 'Bearer secret-token', 'content-type': 'application/json' },
    body,
    timeoutMs: 1_000,
  });

  it('follows a 303 after a POST as a GET without the body', async () => {
    seen.length = 0;
    const res = await nodeTransport(new URL(`${a.url}/see-other`), req('POST', '{"x":1}'));
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['POST', '/see-other', '{"x":1}'],
      ['GET', '/landing', ''],
    ]);
  });

  it('drops the credentials when a redirect leaves the origin', async () => {
    seen.length = 0;
    const res = await nodeTransport(new URL(`${a.url}/elsewhere`), req('PUT', '{"y":2}'));
    expect(JSON.parse(res.text)).toEqual({ at: 'b' });
    expect(seen.map((s) => [s.method, s.path, s.auth, s.body])).toEqual([
      ['PUT', '/elsewhere', 'Bearer secret-token', '{"y":2}'],
      ['PUT', '/moved', undefined, '{"y":2}'],
    ]);
  });

  it('decodes compressed answers', async () => {
    const res = await nodeTransport(new URL(`${a.url}/gzip`), req('GET'));
    expect(JSON.parse(res.text)).toEqual({ zipped: true });
  });

  it('refuses an answer larger than the cap, and times out a silent System', async () => {
    const big = await nodeTransport(new URL(`${a.url}/big`), {
      ...req('GET'),
      maxResponseBytes: 1_000,
    }).catch((e: unknown) => e as Error);
    expect(String((big as Error).cause)).toMatch(/exceeds 1000 bytes/);
    const slow = await nodeTransport(new URL(`${a.url}/slow`), { ...req('GET'), timeoutMs: 100 }).catch(
      (e: unknown) => e as Error,
    );
    expect((slow as Error).name).toBe('TimeoutError');
  });
});
