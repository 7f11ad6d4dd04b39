import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineAction } from './action.js';
import { type ConnectorClientFactory, connect, defineConnector } from './connector.js';

/** A connector whose System is not HTTP gets its own resource per Connection through `client`. */
class FakeSession {
  closed = 0;
  constructor(readonly database: string) {}
}

const opened: FakeSession[] = [];
const sessions: ConnectorClientFactory<FakeSession> = {
  open: (connection) => {
    const session = new FakeSession(connection.settings?.database ?? '');
    opened.push(session);
    return session;
  },
  close: async (session) => {
    session.closed += 1;
  },
};

const kv = defineConnector({
  name: 'kv',
  title: 'Key-value store (test)',
  defaultBaseUrl: 'kv://localhost',
  auth: ['basic'],
  objects: {},
  actions: {
    whereAmI: defineAction({
      kind: 'read',
      name: 'whereAmI',
      description: 'Names the database the session is on',
      input: z.object({}),
      output: z.string(),
      run: async (ctx) => {
        if (!(ctx.client instanceof FakeSession)) throw new Error('no session');
        return ctx.client.database;
      },
    }),
  },
  client: sessions,
});

describe('connector client factory', () => {
  it('opens one resource per Connection, hands it to actions and closes it once', async () => {
    const c = connect(kv, {
      id: 'kv-1',
      connector: 'kv',
      settings: { database: 'orders' },
      auth: { kind: 'basic', username: 'u', password: 'p' },
    });
    expect(await c.run('whereAmI', {})).toBe('orders');
    expect(opened).toHaveLength(1);
    await Promise.all([c.close(), c.close()]);
    expect(opened[0]?.closed).toBe(1);
  });

  it('leaves HTTP connectors without a client, and closing them is a no-op', async () => {
    const http = connect(defineConnector({ ...kv, name: 'plain', client: undefined }), {
      id: 'p',
      connector: 'plain',
      auth: { kind: 'basic', username: 'u', password: 'p' },
    });
    expect(http.ctx.client).toBeUndefined();
    await expect(http.close()).resolves.toBeUndefined();
  });
});
