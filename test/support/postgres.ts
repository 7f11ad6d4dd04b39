import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for integration tests: `initdb` into a fresh temp dir, `postgres`
 * on 127.0.0.1 (and a unix socket in that dir), durability off, trust auth. Nothing is shared with
 * any system cluster, so tests never touch real data and leave nothing behind.
 */

const run = promisify(execFile);

/** A running test server. */
export interface PostgresServer {
  /** Connection URL of the server's empty `weft_test` database (user `weft`, no password). */
  url: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and deletes its data directory. */
  stop(): Promise<void>;
}

/** The superuser initdb creates; trust auth, so no password. */
const superuser = 'weft';
/** The OS account that runs the server when the tests run as root (postgres refuses root). */
const serverAccount = 'postgres';

/**
 * Starts a fresh PostgreSQL server. Binaries are found on PATH or in /usr/lib/postgresql/<n>/bin
 * (the newest). As root, the data dir is handed to the `postgres` account and the server runs
 * under it.
 *
 * @example
 * const pg = await startPostgres();
 * const url = await createDatabase(pg.url, 'weft_store_1');
 * // … tests …
 * await pg.stop();
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'weft-pg-'));
  const owner = asRoot ? await accountIds(serverAccount) : undefined;
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const as = (command: string, args: string[]): Promise<unknown> =>
    asRoot
      ? run('runuser', ['-u', serverAccount, '--', join(bin, command), ...args])
      : run(join(bin, command), args);

  // Registered before the server starts so a crashed test process still kills it and cleans up.
  const cleanUpOnExit = (): void => killAndRemove(dir);
  process.once('exit', cleanUpOnExit);
  try {
    await as('initdb', [
      '-D',
      dir,
      '-U',
      superuser,
      '--auth=trust',
      '--encoding=UTF8',
      // C collation sorts like SQLite's BINARY; the schema pins it too, this is belt and braces.
      '--locale=C',
      // Tests never need the cluster to survive a power cut.
      '--no-sync',
    ]);
    const port = await startOnFreePort(as, dir);
    const adminUrl = `postgres://${superuser}@127.0.0.1:${port}/postgres`;
    const url = await createDatabase(adminUrl, 'weft_test');
    return {
      url,
      async stop() {
        process.removeListener('exit', cleanUpOnExit);
        try {
          await as('pg_ctl', ['stop', '-D', dir, '-m', 'immediate', '-w', '-t', '30']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    process.removeListener('exit', cleanUpOnExit);
    killAndRemove(dir);
    throw error;
  }
}

/**
 * Creates database `name` on the server of `url` and returns the URL of the new database. Names
 * are restricted to lower-case identifiers so they need no quoting rules.
 *
 * @example const url = await createDatabase(server.url, `store_${process.pid}_1`);
 */
export async function createDatabase(url: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`invalid test database name: ${name}`);
  const admin = new URL(url);
  // CREATE DATABASE cannot run inside the target database, and template1 must stay unconnected
  // (it is the copy source), so the maintenance database `postgres` is used.
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

/**
 * The server a test file should use: `sharedUrl` (what `inject('weftPostgresUrl')` returned from
 * the global setup) or `WEFT_TEST_POSTGRES_URL` when set, whose `stop()` does nothing; otherwise a
 * server of the file's own, started now.
 *
 * @example
 * const server = await acquirePostgres(inject('weftPostgresUrl'));
 */
export async function acquirePostgres(sharedUrl: string | undefined): Promise<PostgresServer> {
  const url = sharedUrl ?? process.env.WEFT_TEST_POSTGRES_URL;
  if (url !== undefined && url !== '') return { url, stop: async () => {} };
  return startPostgres();
}

/**
 * Fresh databases on one server, named `<prefix>_<pid>_<n>` so test files sharing the server never
 * collide, and dropped together at the end (they would pile up on a long-lived external server).
 */
export class TestDatabases {
  private readonly names: string[] = [];
  private readonly prefix: string;

  constructor(
    private readonly serverUrl: string,
    prefix: string,
  ) {
    // A random part too: pids repeat across vitest reruns in watch mode against one server.
    this.prefix = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Creates the next database; returns its URL. */
  async create(): Promise<string> {
    const name = `${this.prefix}_${this.names.length + 1}`;
    this.names.push(name);
    return createDatabase(this.serverUrl, name);
  }

  /** Drops every database this instance created; close their pools first. */
  async dropAll(): Promise<void> {
    const admin = new URL(this.serverUrl);
    admin.pathname = '/postgres';
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      // FORCE ends sessions a failed test left open, which would otherwise block the drop.
      for (const name of this.names.splice(0))
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }
}

/** The directory holding `initdb`, `pg_ctl` and `postgres`. */
export function findPostgresBin(): string {
  const tools = ['initdb', 'pg_ctl', 'postgres'];
  const candidates = (process.env.PATH ?? '').split(':').filter((p) => p !== '');
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  const found = candidates.find((dir) => tools.every((tool) => existsSync(join(dir, tool))));
  if (found === undefined) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: ' +
        'install them (apt-get install -y postgresql) or set WEFT_TEST_POSTGRES_URL to an existing server',
    );
  }
  return found;
}

async function accountIds(name: string): Promise<{ uid: number; gid: number }> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(`running as root needs an OS account "${name}" to run PostgreSQL under`, {
      cause: error,
    });
  }
}

/** A port nobody listens on right now; another process may still take it first, hence the retries. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startOnFreePort(
  as: (command: string, args: string[]) => Promise<unknown>,
  dir: string,
): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const options = [
      `-p ${port}`,
      '-h 127.0.0.1',
      // The socket lives in the temp dir so parallel test servers never collide on /var/run.
      `-k ${dir}`,
      // Durability is irrelevant for a throwaway cluster and costs most of the test time.
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      // Every test file opens pools of its own (and the concurrency tests several).
      '-c max_connections=300',
    ].join(' ');
    try {
      await as('pg_ctl', [
        'start',
        '-D',
        dir,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '60',
        '-o',
        options,
      ]);
      return port;
    } catch (error) {
      lastError = error;
    }
  }
  const log = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
  throw new Error(`PostgreSQL did not start:\n${log.slice(-2000)}`, { cause: lastError });
}

/** Synchronous, for the exit hook: SIGQUIT is postgres's immediate shutdown. */
function killAndRemove(dir: string): void {
  try {
    const pid = Number(readFileSync(join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // Not started, or already gone: nothing to kill.
  }
  rmSync(dir, { recursive: true, force: true });
}
