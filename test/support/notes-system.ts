import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { connect } from '../../src/connector/connector.js';
import { definePollTrigger } from '../../src/connector/triggers.js';
import { notesConnector } from '../../src/connectors/example/connector.js';
import { type ConnectionAccess, noConnections } from '../../src/engine/connection-access.js';

/** A stored note of the test System; `updated` is a coarse (equal-prone) timestamp. */
export interface StoredNote {
  id: string;
  text: string;
  author: string;
  ref: string;
  updated: number;
}

const ChangedNote = z.looseObject({ id: z.string(), text: z.string(), updated: z.number() });

/**
 * The example connector plus a poll trigger over `GET /notes/changes?after=<updated>:<id>`, with a
 * composite cursor: equal `updated` values across a page boundary are neither lost nor repeated.
 */
export const notesWithPolling = {
  ...notesConnector,
  pollTriggers: {
    notes: definePollTrigger({
      name: 'notes',
      description: 'Notes changed since the cursor, three per page',
      record: ChangedNote,
      fetchChanges: async (ctx, cursor) => {
        const res = await ctx.http.request({
          method: 'GET',
          path: '/notes/changes',
          query: { after: cursor ?? '0:', limit: '3' },
        });
        const { items } = z.object({ items: z.array(ChangedNote) }).parse(res.body);
        const last = items.at(-1);
        return {
          changes: items.map((n) => ({
            dedupeKey: `note:${n.id}:${n.updated}`,
            type: 'note.changed',
            payload: n,
          })),
          cursor: last === undefined ? cursor : `${last.updated}:${last.id}`,
        };
      },
    }),
  },
};

export interface NotesSystem {
  url: string;
  notes: StoredNote[];
  /** Applies the next POST, then drops the connection before answering. */
  dropNextResponse(): void;
  /** Answers the next N requests 429 with Retry-After. */
  rateLimitNext(n: number, retryAfterSeconds: number): void;
  requests: number;
  /** Adds notes directly (not through the API), all with the same `updated`. */
  seed(count: number, updated: number): void;
  /** Sends a signed change delivery for `note` to `url`, as the System's webhook would. */
  deliver(url: string, note: StoredNote, secret: string): Promise<Response>;
  /** ConnectionAccess with one Connection named `notes` at this System. */
  access(opts?: {
    webhookSecrets?: string[];
    limits?: { requestsPerSecond: number; burst?: number };
  }): ConnectionAccess;
  close(): Promise<void>;
}

/** Starts the test System on 127.0.0.1 (port 0). */
export async function startNotesSystem(): Promise<NotesSystem> {
  const notes: StoredNote[] = [];
  let drop = 0;
  let limited = { n: 0, retryAfter: 1 };
  let seq = 0;
  const system = {
    url: '',
    notes,
    requests: 0,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      system.requests += 1;
      const url = new URL(req.url ?? '/', 'http://notes');
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== 'Bearer notes-token') return json(401, { error: 'bad token' });
      if (limited.n > 0) {
        limited.n -= 1;
        res.writeHead(429, { 'retry-after': String(limited.retryAfter) }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === '/notes') {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<
          StoredNote,
          'id' | 'updated'
        >;
        const note: StoredNote = { ...input, id: `n${++seq}`, updated: Math.floor(Date.now() / 1000) };
        notes.push(note);
        if (drop > 0) {
          drop -= 1;
          req.socket.destroy();
          return;
        }
        return json(201, note);
      }
      if (req.method === 'GET' && url.pathname === '/notes') {
        const ref = url.searchParams.get('ref');
        return json(200, { items: notes.filter((n) => ref === null || n.ref === ref) });
      }
      if (req.method === 'GET' && url.pathname === '/notes/changes') {
        const [u, id] = (url.searchParams.get('after') ?? '0:').split(':');
        const after = { updated: Number(u), id: id ?? '' };
        const limit = Number(url.searchParams.get('limit') ?? '100');
        const items = [...notes]
          .sort((a, b) => a.updated - b.updated || a.id.localeCompare(b.id))
          .filter((n) => n.updated > after.updated || (n.updated === after.updated && n.id > after.id))
          .slice(0, limit);
        return json(200, { items });
      }
      json(404, { error: 'no route' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  system.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(system, {
    dropNextResponse: () => {
      drop += 1;
    },
    rateLimitNext: (n: number, retryAfter: number) => {
      limited = { n, retryAfter };
    },
    seed: (count: number, updated: number) => {
      for (let i = 0; i < count; i++) {
        const id = `s${String(++seq).padStart(5, '0')}`;
        notes.push({ id, text: `seeded ${id}`, author: 'seed', ref: id, updated });
      }
    },
    deliver: (to: string, note: StoredNote, secret: string) => {
      const body = JSON.stringify(note);
      return fetch(to, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-notes-signature': createHmac('sha256', secret).update(body).digest('hex'),
        },
        body,
      });
    },
    access: (
      opts: { webhookSecrets?: string[]; limits?: { requestsPerSecond: number; burst?: number } } = {},
    ) => {
      const connected = connect(
        notesWithPolling,
        {
          id: 'notes',
          connector: 'notes',
          baseUrl: system.url,
          auth: { kind: 'bearer', token: 'notes-token' },
        },
        { maxRateLimitRetries: 0 },
      );
      const access: ConnectionAccess = {
        open: async (name) => {
          if (name !== 'notes') return noConnections.open(name);
          return {
            connected,
            webhookSecrets: opts.webhookSecrets ?? [],
            ...(opts.limits ? { limits: opts.limits } : {}),
          };
        },
      };
      return access;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
