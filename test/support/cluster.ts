import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { findPostgresBin } from './postgres.js';
import { freePort } from './weft-process.js';

/**
 * Cluster mode for tests and benchmarks: several real `weft serve` / `weft work` / `weft start`
 * child processes sharing one PostgreSQL database, which a test can kill with SIGKILL and restart
 * while load runs. Every process listens on 127.0.0.1 only, gets its own data dir (nothing but
 * PostgreSQL is shared) and is killed when the test process exits, whatever happens.
 */

const run = promisify(execFile);

/**
 * The repository root: the nearest folder up with a package.json. Walked rather than fixed, because
 * this file runs both as source (vitest) and compiled into dist/ (the cluster benchmark).
 */
const root = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
/** The installed `weft` command. */
export const weftBin = path.join(root, 'bin', 'weft.js');

/** The secrets key every process of a test cluster shares (a fixed test value, not a real secret). */
export const clusterSecretsKey = Buffer.alloc(32, 7).toString('base64');

/** The roles of the one binary: API + webhooks + scheduler, worker only, or both. */
export type WeftRole = 'serve' | 'work' | 'start';

export interface WeftNodeOptions {
  role: WeftRole;
  /** For logs and failure messages; default `<role>-<n>`. */
  name?: string;
  /** `serve`/`start`: HTTP port, kept across restarts (a load balancer's fixed backend). Default: a free one. */
  port?: number;
  /** `work`/`start`: runs executed at once (`--concurrency` for work, WEFT_WORKER_CONCURRENCY for all). */
  concurrency?: number;
  /** Extra environment for this process only (wins over the cluster's). */
  env?: Record<string, string>;
  /** Extra command-line arguments after the role's own. */
  args?: string[];
}

export interface WeftClusterOptions {
  /** The database every process shares (`WEFT_DATABASE_URL`). */
  databaseUrl: string;
  /** Deployed by every process at start (`WEFT_FLOWS_DIR`); an unchanged file deploys nothing. */
  flowsDir?: string;
  /** Environment of every process (e.g. `WEFT_LEASE_MS`). */
  env?: Record<string, string>;
  /** How long a process may take to become ready. Default 20 s (2 cores, several node boots at once). */
  readyTimeoutMs?: number;
}

/**
 * A worker has no HTTP port, so "ready" is a line it prints: the announcement on stdout
 * (`Weft worker started …`, printed whatever the log level) or an info log line saying it started.
 * Loose on purpose, so a reworded message does not break every cluster test.
 */
export const readyLinePattern = /^Weft worker started|"msg":"[^"]*\b(started|ready|listening)\b[^"]*"/im;

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
/** A crashed or interrupted test must not leave weft processes behind holding database connections. */
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** One weft process of a cluster: started, killed and restarted in place (same name, port, data dir). */
export class WeftNode {
  readonly name: string;
  readonly role: WeftRole;
  /** The HTTP port of `serve`/`start`; undefined for `work`. */
  readonly port: number | undefined;
  child: ChildProcess | undefined;
  /** How many times the process was started. */
  starts = 0;
  private log = '';
  private readyChild: ChildProcess | undefined;
  private readonly dataDir: string;

  constructor(
    private readonly cluster: WeftClusterOptions,
    private readonly options: WeftNodeOptions & { name: string; port: number | undefined },
  ) {
    this.name = options.name;
    this.role = options.role;
    this.port = options.port;
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `weft-node-${options.name}-`));
  }

  /** `http://127.0.0.1:<port>` for `serve`/`start`. */
  get url(): string {
    if (this.port === undefined) throw new Error(`${this.name} (${this.role}) has no HTTP port`);
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Running and past its readiness check (a process still booting is `running` but not `ready`). */
  get ready(): boolean {
    return this.running && this.readyChild === this.child;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Everything the process wrote across all its starts, for failure messages. */
  output(): string {
    return this.log;
  }

  /**
   * The lease owner of the current start's worker (`work`/`start`), from its start-up line: what
   * `runs.lease_owner` holds for the runs it leased, so a test can see which runs a kill orphaned.
   */
  owner(): string | undefined {
    const current = this.log.slice(this.log.lastIndexOf(`--- ${this.name} start #`));
    return /"owner":"([^"]+)"/.exec(current)?.[1];
  }

  /** Spawns the process and resolves once it is ready: /health for an HTTP role, a log line for `work`. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (!fs.existsSync(path.join(root, 'dist', 'src', 'cli', 'program.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    }
    const { role, concurrency } = this.options;
    const args = [weftBin, role];
    if (this.port !== undefined) args.push('--port', String(this.port));
    if (role === 'work' && concurrency !== undefined) args.push('--concurrency', String(concurrency));
    args.push(...(this.options.args ?? []));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WEFT_DATABASE_URL: this.cluster.databaseUrl,
      // Cluster mode refuses to start without the shared key that encrypts Connection secrets.
      WEFT_SECRETS_KEY: clusterSecretsKey,
      WEFT_HOST: '127.0.0.1',
      WEFT_DATA_DIR: this.dataDir,
      // Info: the worker's start-up line carries its lease owner (see owner()); runs log nothing at info.
      WEFT_LOG_LEVEL: 'info',
      ...(this.cluster.flowsDir === undefined ? {} : { WEFT_FLOWS_DIR: this.cluster.flowsDir }),
      ...(concurrency === undefined ? {} : { WEFT_WORKER_CONCURRENCY: String(concurrency) }),
      ...this.cluster.env,
      ...this.options.env,
    };
    this.starts += 1;
    this.log += `--- ${this.name} start #${this.starts} (${new Date().toISOString()})\n`;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    trackChild(child);
    const lines: string[] = [];
    const onData = (d: Buffer) => {
      const text = d.toString();
      this.log += text;
      lines.push(text);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      this.log += `--- ${this.name} exited (code ${code}, signal ${signal})\n`;
    });

    const deadline = Date.now() + (this.cluster.readyTimeoutMs ?? 20_000);
    let sinceStart = '';
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} (${role}) exited before it was ready:\n${this.tail()}`);
      }
      sinceStart += lines.splice(0).join('');
      if (await this.isReady(sinceStart)) {
        this.readyChild = child;
        return;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${this.name} (${role}) was not ready in time:\n${this.tail()}`);
      }
      await sleep(50);
    }
  }

  /** Sends `signal` and resolves once the process is gone (SIGTERM: after its graceful stop). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    return new Promise<void>((resolve) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Kills (SIGKILL by default) and starts again, with the same port and data dir. */
  async restart(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.kill(signal);
    await this.start();
  }

  /** Stops gracefully, with a SIGKILL if it takes longer than `graceMs`; removes the data dir. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (child !== undefined && this.running) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.kill('SIGTERM');
      clearTimeout(timer);
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async isReady(sinceStart: string): Promise<boolean> {
    if (this.port === undefined) return readyLinePattern.test(sinceStart);
    try {
      const res = await fetch(`${this.url}/health`);
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false; // not listening yet
    }
  }

  private tail(): string {
    return this.log.slice(-4000);
  }
}

/**
 * N weft processes on one database.
 *
 * @example
 * const cluster = new WeftCluster({ databaseUrl, flowsDir, env: { WEFT_LEASE_MS: '1500' } });
 * await cluster.migrate();
 * const api = await cluster.add({ role: 'serve' }); // api.url for webhooks
 * const workers = await cluster.addMany({ role: 'work', concurrency: 16 }, 3);
 * await workers[0]?.restart(); // SIGKILL, then the same process again
 * await cluster.stop();
 */
export class WeftCluster {
  readonly nodes: WeftNode[] = [];

  constructor(readonly options: WeftClusterOptions) {}

  /** `weft migrate` against the cluster's database (what an operator runs before rolling out). */
  async migrate(): Promise<string> {
    const { stdout, stderr } = await run(process.execPath, [weftBin, 'migrate'], {
      env: { ...process.env, WEFT_DATABASE_URL: this.options.databaseUrl, WEFT_LOG_LEVEL: 'warn' },
      timeout: 30_000,
    }).catch((error: unknown) => {
      const e = error as { stdout?: string; stderr?: string; message?: string };
      throw new Error(`weft migrate failed: ${e.message ?? ''}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    });
    return stdout + stderr;
  }

  /** Starts one process and waits until it is ready. */
  async add(options: WeftNodeOptions): Promise<WeftNode> {
    const node = await this.create(options);
    await node.start();
    return node;
  }

  /**
   * Starts `count` processes of one kind at once (in parallel: a cluster's processes boot
   * concurrently in real deployments too) and waits until all are ready.
   */
  async addMany(options: WeftNodeOptions, count: number): Promise<WeftNode[]> {
    const nodes: WeftNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(await this.create({ ...options, name: undefined }));
    await Promise.all(nodes.map((n) => n.start()));
    return nodes;
  }

  /** The base URLs of every HTTP-serving process (serve and start roles). */
  httpUrls(): string[] {
    return this.nodes.filter((n) => n.port !== undefined).map((n) => n.url);
  }

  /** Every process's output, for a failure message. */
  output(): string {
    return this.nodes.map((n) => n.output()).join('\n');
  }

  /** Stops every process (gracefully, then SIGKILL after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(graceMs)));
  }

  private async create(options: WeftNodeOptions): Promise<WeftNode> {
    const sameRole = this.nodes.filter((n) => n.role === options.role).length;
    const name = options.name ?? `${options.role}-${sameRole + 1}`;
    const port = options.role === 'work' ? undefined : (options.port ?? (await freePort()));
    const node = new WeftNode(this.options, { ...options, name, port });
    this.nodes.push(node);
    return node;
  }
}

/**
 * The data directory of the server behind `url` (asked of the server itself, so it works for any
 * server test/support/postgres.ts started). Needs a superuser, which the test servers' user is.
 */
export async function postgresDataDir(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0];
    if (row === undefined) throw new Error('SHOW data_directory returned nothing');
    return row.data_directory;
  } finally {
    await client.end();
  }
}

/**
 * Runs `pg_ctl` on a test server's data dir, as the `postgres` account when we are root (the
 * server refuses to run as root; test/support/postgres.ts starts it the same way).
 */
export async function pgCtl(dataDir: string, args: string[]): Promise<string> {
  const bin = path.join(findPostgresBin(), 'pg_ctl');
  const full = [...args, '-D', dataDir];
  const { stdout, stderr } =
    os.userInfo().uid === 0
      ? await run('runuser', ['-u', 'postgres', '--', bin, ...full], { timeout: 120_000 })
      : await run(bin, full, { timeout: 120_000 });
  return stdout + stderr;
}

/**
 * `pg_ctl restart -m <mode>`: every connection is cut (fast: clients get "terminating connection
 * due to administrator command"), the server restarts with the same options and port. Resolves
 * once it accepts connections again; returns how long it was unavailable, as pg_ctl measured it.
 */
export async function restartPostgres(url: string, mode: 'fast' | 'immediate' = 'fast'): Promise<number> {
  const dir = await postgresDataDir(url);
  const started = Date.now();
  await pgCtl(dir, ['restart', '-m', mode, '-w', '-t', '60', '-l', path.join(dir, 'server.log')]);
  return Date.now() - started;
}

/**
 * An outage longer than a restart: `pg_ctl stop -m fast`, nothing listening for `downMs`
 * (connections are refused, not cut), then the server starts again with the options it had,
 * read back from `postmaster.opts` (which is what `pg_ctl restart` does too). Returns the time the
 * server was unavailable.
 */
export async function stopPostgresFor(url: string, downMs: number): Promise<number> {
  const dir = await postgresDataDir(url);
  // The first line is the server's command line, each argument quoted: drop the binary and -D.
  const recorded = fs.readFileSync(path.join(dir, 'postmaster.opts'), 'utf8');
  const args = [...recorded.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? '');
  const d = args.indexOf('-D');
  if (d >= 0) args.splice(d, 2);
  const started = Date.now();
  await pgCtl(dir, ['stop', '-m', 'fast', '-w', '-t', '60']);
  await sleep(downMs);
  await pgCtl(dir, ['start', '-w', '-t', '60', '-l', path.join(dir, 'server.log'), '-o', args.join(' ')]);
  return Date.now() - started;
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
