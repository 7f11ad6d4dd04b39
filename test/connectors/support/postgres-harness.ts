import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import pg from 'pg';
import type { ActionDefinition } from '../../../src/connector/action.js';
import { type ConnectedConnector, connect } from '../../../src/connector/connector.js';
import { postgresChangesTrigger } from '../../../src/connectors/postgres/changes.js';
import { postgresConnector } from '../../../src/connectors/postgres/connector.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { startPostgres } from '../../support/postgres.js';

/** The login the connector uses; the only role that must give a password. */
const appUser = 'weft_app';
const appPassword = 'right-horse-battery-staple';
/** Contains "secret" on purpose: the contract's leak check then also proves this value stays out. */
const wrongPassword = 'secret-but-wrong-42';

/**
 * The PostgreSQL connector on a real server, for the shared contract suite. The suite's shared
 * server trusts every login, which would make the wrong-credentials case pass by accident, so
 * this harness starts a server of its own and makes its app role log in with SCRAM. Between the
 * connector and the server sits a TCP relay that can drop the answer to a write after the
 * server committed it: the lost answer the contract's retry case needs, on the real protocol.
 */
export async function postgresHarness(): Promise<ContractHarness> {
  const server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  const relay = new AnswerDroppingRelay(Number(new URL(server.url).port));
  const opened: ConnectedConnector<Record<string, ActionDefinition>>[] = [];
  try {
    await admin.connect();
    await requirePasswords(admin);
    await admin.query(`CREATE ROLE ${appUser} LOGIN PASSWORD '${appPassword}'`);
    await admin.query(`
      CREATE TABLE contract_notes (
        id bigserial PRIMARY KEY,
        body text NOT NULL,
        weft_key text UNIQUE,
        -- now() is the transaction's start: every row of one seeding statement shares it.
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX contract_notes_changes ON contract_notes (updated_at, id);
      GRANT SELECT, INSERT, UPDATE ON contract_notes TO ${appUser};
      GRANT USAGE ON SEQUENCE contract_notes_id_seq TO ${appUser};
    `);
    await waitForPasswordChecks(server.url);
    await relay.start();
  } catch (err) {
    await admin.end().catch(() => {});
    await relay.close();
    await server.stop();
    throw err;
  }
  const database = new URL(server.url).pathname.slice(1);
  const changes = postgresChangesTrigger({ table: 'contract_notes', pageSize: 10, maxPages: 1 });

  return {
    connect: (credentials) => {
      const c = connect(postgresConnector, {
        id: 'postgres-contract',
        connector: 'postgres',
        settings: { host: '127.0.0.1', port: String(relay.port), database, sslmode: 'disable' },
        auth: {
          kind: 'basic',
          username: appUser,
          password: credentials === 'valid' ? appPassword : wrongPassword,
        },
      });
      opened.push(c);
      return c;
    },
    probe: (c) => c.run('query', { sql: 'SELECT current_user AS login' }),
    paging: {
      pageSize: 10,
      seed: async (count) => {
        await admin.query(
          `INSERT INTO contract_notes (body) SELECT 'seeded ' || g FROM generate_series(1, $1::int) AS g`,
          [count],
        );
      },
      // Paged through the connector's changes trigger, one page per poll, all on one timestamp.
      listAll: async (c) => {
        const ids: { id: string }[] = [];
        let cursor: string | null = null;
        for (;;) {
          const page = await changes.fetchChanges(c.ctx, cursor);
          if (page.changes.length === 0) return ids;
          for (const change of page.changes) ids.push({ id: String((change.payload as { id: unknown }).id) });
          cursor = page.cursor;
        }
      },
    },
    write: {
      run: async (c, call) => {
        const out = (await c.run(
          'insert',
          { table: 'contract_notes', row: { body: 'retried write' }, keyColumn: 'weft_key' },
          call,
        )) as { row: { id: unknown } | null };
        return { id: String(out.row?.id) };
      },
      dropNextResponse: async () => {
        relay.dropNextInsertAnswer();
      },
      count: async () => Number((await admin.query('SELECT count(*) AS n FROM contract_notes')).rows[0].n),
    },
    teardown: async () => {
      for (const c of opened) await c.close();
      await admin.end();
      await relay.close();
      await server.stop();
    },
  };
}

/**
 * Rewrites this throwaway server's pg_hba.conf: its superuser keeps trust (the harness's own
 * access), every other TCP login must pass SCRAM. Only ever done to a server this harness started.
 */
async function requirePasswords(admin: pg.Client): Promise<void> {
  const file = (await admin.query<{ hba_file: string }>('SHOW hba_file')).rows[0]?.hba_file;
  if (file === undefined) throw new Error('the test server did not say where pg_hba.conf is');
  const lines = [
    'local all all trust',
    `host all ${admin.user} 127.0.0.1/32 trust`,
    'host all all 127.0.0.1/32 scram-sha-256',
  ];
  const values = lines.map((_, i) => `(${i}, $${i + 1})`).join(', ');
  // COPY cannot take parameters, so the rows go through a temporary table first.
  await admin.query('CREATE TEMP TABLE hba_lines (n int, line text)');
  await admin.query(`INSERT INTO hba_lines VALUES ${values}`, lines);
  await admin.query(`COPY (SELECT line FROM hba_lines ORDER BY n) TO ${pg.escapeLiteral(file)}`);
  await admin.query('SELECT pg_reload_conf()');
}

/** The reload is asynchronous: wait until a wrong password is really refused. */
async function waitForPasswordChecks(serverUrl: string): Promise<void> {
  const url = new URL(serverUrl);
  url.username = appUser;
  url.password = wrongPassword;
  for (let i = 0; i < 50; i++) {
    const probe = new pg.Client({ connectionString: url.toString() });
    try {
      await probe.connect();
      await probe.end();
    } catch (err) {
      if ((err as { code?: string }).code === '28P01') return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the test server still accepts any password after the pg_hba.conf reload');
}

/**
 * A TCP relay in front of PostgreSQL. Armed, it lets the next INSERT through, holds back the
 * server's answer until ReadyForQuery (sent only after the statement's implicit transaction has
 * committed), then cuts the connection: the row is in, the client never hears so.
 */
class AnswerDroppingRelay {
  port = 0;
  #armed = false;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly target: number) {
    this.#server = createServer((client) => this.#relay(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  dropNextInsertAnswer(): void {
    this.#armed = true;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    const upstream = tcpConnect(this.target, '127.0.0.1');
    this.#sockets.add(client).add(upstream);
    let held: Buffer | undefined;
    client.on('data', (chunk: Buffer) => {
      // The Parse message carries the statement text; the ledger look-up before a retry is a SELECT.
      if (this.#armed && /INSERT INTO/i.test(chunk.toString('latin1'))) {
        this.#armed = false;
        held = Buffer.alloc(0);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (held === undefined) {
        client.write(chunk);
        return;
      }
      held = Buffer.concat([held, chunk]);
      if (hasReadyForQuery(held)) {
        client.destroy();
        upstream.destroy();
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}

/** True once a whole ReadyForQuery ('Z') message is in the server's stream. */
function hasReadyForQuery(buf: Buffer): boolean {
  let offset = 0;
  while (offset + 5 <= buf.length) {
    const type = buf[offset];
    const length = buf.readInt32BE(offset + 1);
    if (offset + 1 + length > buf.length) return false;
    if (type === 0x5a) return true;
    offset += 1 + length;
  }
  return false;
}
