import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifiedFields } from '../../connector/classification.js';
import { connect } from '../../connector/connector.js';
import { Note, notesConnector } from './connector.js';

/** A throwaway Notes API that applies a write and then "loses" the answer once. */
describe('example Notes connector', () => {
  const notes: { id: string; text: string; author: string; ref: string }[] = [];
  let dropNext = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.headers.authorization !== 'Bearer t0ken') return void res.writeHead(401).end();
      const url = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST') {
        const note = {
          id: `n${notes.length + 1}`,
          ...(JSON.parse(body) as { text: string; author: string; ref: string }),
        };
        notes.push(note);
        if (dropNext) {
          dropNext = false;
          return void req.socket.destroy();
        }
        return void res.end(JSON.stringify(note));
      }
      if (url.pathname === '/api/notes') {
        return void res.end(
          JSON.stringify({ items: notes.filter((n) => n.ref === url.searchParams.get('ref')) }),
        );
      }
      const found = notes.find((n) => `/api/notes/${n.id}` === url.pathname);
      res.writeHead(found ? 200 : 404).end(JSON.stringify(found ?? {}));
    });
  });
  let baseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => {
    server.close();
  });
  const open = (token = 't0ken') =>
    connect(notesConnector, { id: 'notes', connector: 'notes', baseUrl, auth: { kind: 'bearer', token } });

  it('retries a lost write through the ledger look-up without a duplicate', async () => {
    dropNext = true;
    const c = open();
    const input = { text: 'hello', author: 'Ada' };
    await expect(
      c.run('notes.create', input, { idempotencyKey: 'run1:s1', attempt: 1 }),
    ).rejects.toMatchObject({ code: 'network' });
    const retried = await c.run('notes.create', input, { idempotencyKey: 'run1:s1', attempt: 2 });
    expect(retried.id).toBe('n1');
    expect(notes).toHaveLength(1);
    expect((await c.run('notes.get', { id: 'n1' })).text).toBe('hello');
  });

  it('maps 401 and 404 to auth and not_found', async () => {
    await expect(open('wrong').run('notes.get', { id: 'n1' })).rejects.toMatchObject({
      code: 'auth',
      retryable: false,
    });
    await expect(open().run('notes.get', { id: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('verifies its webhook signature and classifies the author as pii', () => {
    const trigger = notesConnector.webhookTriggers?.changes;
    if (trigger === undefined) throw new Error('the example declares a changes trigger');
    const rawBody = JSON.stringify(notes[0]);
    const sig = createHmac('sha256', 's3cret').update(rawBody).digest('hex');
    expect(
      trigger.verify({ headers: new Headers({ 'x-notes-signature': sig }), rawBody }, ['s3cret'], 0),
    ).toEqual({ ok: true });
    expect(
      trigger.verify(
        { headers: new Headers({ 'x-notes-signature': sig }), rawBody: `${rawBody} ` },
        ['s3cret'],
        0,
      ).ok,
    ).toBe(false);
    expect(classifiedFields(Note)).toEqual({ author: ['pii'] });
  });
});
