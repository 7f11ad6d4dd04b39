/**
 * The cluster benchmark (`npm run bench:cluster`; results and method in docs/benchmarks.md and
 * docs/operations/cluster.md).
 *
 * Starts a PostgreSQL server of its own with production durability (fsync, synchronous_commit and
 * full_page_writes on; data on the machine's disk), then measures, each against a fresh database:
 *
 * - **baseline**: a bare `node:http` process inserting one row per request (autocommit, pool of
 *   50): the most durable requests/s this machine's PostgreSQL takes from Node, the ceiling;
 * - **start ×N** (N = 1, 2, 4): N `weft start` processes (API + worker each) with the bench flow
 *   `bench/flows/lead-router.yaml` (webhook → map → branch → respond), the load spread over them
 *   round-robin, as a load balancer would. A `respond` step needs its run executed before the reply,
 *   and a `start` process runs the event it accepted itself, so each request is one whole run;
 * - **serve+work** (optional, `--split`): N/2 `serve` and N/2 `work` processes; a `serve` process
 *   only stores the event, so a request is acknowledged before a worker executes the run.
 *
 * Each measurement is autocannon at 50 connections (total, over all processes) from this process,
 * after a warm-up. Reported: requests/s and durable runs/s (counted in the database: runs that
 * succeeded inside the window), p50/p99 latency, and where the CPU went (weft processes, postgres
 * backends, the load generator, from /proc), with PostgreSQL's commits and WAL per run.
 *
 *   node dist/bench/cluster.js [--processes 1,2,4] [--duration 15] [--warmup 3] [--connections 50]
 *                              [--split] [--no-baseline] [--statements]
 *
 * `--statements` loads pg_stat_statements and prints, per Weft setup, the statements per run and
 * their execution time: where PostgreSQL's share of a run goes.
 *
 * Everything listens on 127.0.0.1 and is stopped at the end, also on failure.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { pgCtl, postgresDataDir, sleep, WeftCluster, type WeftRole } from '../test/support/cluster.js';
import { createDatabase, type PostgresServer, startPostgres } from '../test/support/postgres.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const thisScript = fileURLToPath(import.meta.url);
const benchFlow = path.join(repoRoot, 'bench', 'flows', 'lead-router.yaml');
const hookPath = '/hooks/bench/leads';
/** Hard stop for the whole benchmark, so a hung process cannot hold CI. */
const overallTimeoutMs = 15 * 60_000;

/** Three leads, one per branch case, so every case of the flow is exercised. */
const leadBodies = [
  { email: ' Ana.Silva@Globex.com ', employees: 1200, country: 'us' },
  { email: 'bo@initech.io', employees: 250, country: 'de' },
  { email: 'Cy@Example.org ', employees: 12, country: 'fr' },
].map((b) => JSON.stringify(b));

/**
 * PostgreSQL as one would run it in production on a small machine: durability on (these are the
 * defaults, named so nobody wonders), buffers sized for the box, and WAL sized so a 15 s window is
 * not dominated by a forced checkpoint.
 */
const productionSettings = [
  'fsync=on',
  'synchronous_commit=on',
  'full_page_writes=on',
  'shared_buffers=1GB',
  'max_wal_size=4GB',
  'checkpoint_timeout=15min',
  'max_connections=300',
];

interface Options {
  processes: number[];
  durationS: number;
  warmupS: number;
  connections: number;
  split: boolean;
  baseline: boolean;
  /** Load pg_stat_statements and print each Weft setup's statements per run. */
  statements: boolean;
}

/** CPU seconds used in the window, by who used it. */
interface CpuUse {
  /** The server processes: the Weft processes, or the baseline's node:http one. */
  app: number;
  postgres: number;
  generator: number;
  /** All CPUs of the machine together (from /proc/stat), for "how busy was the box". */
  machineBusy: number;
  /** Of machineBusy: interrupt work (loopback networking), charged to no process. */
  interrupts: number;
  /** Time another VM had our CPUs (not in machineBusy). */
  steal: number;
  machineCapacity: number;
}

interface Row {
  name: string;
  requestsPerS: number;
  runsPerS: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpu: CpuUse;
  commitsPerRun: number;
  walBytesPerRun: number;
  /** Queued/running runs left when the window closed (serve+work only: the backlog). */
  backlog: number;
  notes: string;
}

// ---------------------------------------------------------------------------------------------
// /proc accounting

const ticksPerSecond = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime (seconds) and parent pid of a process; undefined when it is gone. */
function procStat(pid: number): { cpu: number; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpu: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond,
    };
  } catch {
    return undefined;
  }
}

/** The postmaster and every process it forked (backends, WAL writer, checkpointer…). */
function postgresPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (procStat(Number(name))?.ppid === postmaster) pids.push(Number(name));
  }
  return pids;
}

/**
 * Machine-wide CPU from /proc/stat: busy (everything but idle, iowait and steal), of which the
 * kernel's interrupt work (irq + softirq: on one machine, mostly the loopback TCP traffic between
 * the load generator, Weft and PostgreSQL, charged to no process), and steal (another VM ran).
 */
function machineCpu(): { busy: number; interrupts: number; steal: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number) => v[i] ?? 0;
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = at(0) + at(1) + at(2) + at(3) + at(4) + at(5) + at(6) + at(7);
  const busy = total - at(3) - at(4) - at(7);
  return {
    busy: busy / ticksPerSecond,
    interrupts: (at(5) + at(6)) / ticksPerSecond,
    steal: at(7) / ticksPerSecond,
    total: total / ticksPerSecond,
  };
}

interface CpuSnapshot {
  perPid: Map<number, number>;
  generator: number;
  machine: ReturnType<typeof machineCpu>;
}

function snapshotCpu(pids: number[]): CpuSnapshot {
  const perPid = new Map<number, number>();
  for (const pid of pids) perPid.set(pid, procStat(pid)?.cpu ?? 0);
  const own = process.cpuUsage();
  return { perPid, generator: (own.user + own.system) / 1e6, machine: machineCpu() };
}

/** CPU between two snapshots; a process that exited in between counts up to its last sample. */
function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, appPids: Set<number>): CpuUse {
  let app = 0;
  let postgres = 0;
  for (const [pid, end] of after.perPid) {
    const used = Math.max(0, end - (before.perPid.get(pid) ?? 0));
    if (appPids.has(pid)) app += used;
    else postgres += used;
  }
  return {
    app,
    postgres,
    generator: after.generator - before.generator,
    machineBusy: after.machine.busy - before.machine.busy,
    interrupts: after.machine.interrupts - before.machine.interrupts,
    steal: after.machine.steal - before.machine.steal,
    machineCapacity: after.machine.total - before.machine.total,
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

interface BenchPostgres {
  server: PostgresServer;
  url: string;
  dataDir: string;
  postmasterPid(): number;
}

/**
 * A throwaway server (test/support/postgres.ts creates and removes it) restarted with
 * {@link productionSettings}: the helper's own start flags turn durability off for tests, and
 * command-line settings win over postgresql.conf, so the server is started again with ours.
 */
async function startBenchPostgres(statements: boolean): Promise<BenchPostgres> {
  const server = await startPostgres();
  const dataDir = await postgresDataDir(server.url);
  const port = new URL(server.url).port;
  await pgCtl(dataDir, ['stop', '-m', 'fast', '-w']);
  const options = [
    `-p ${port}`,
    '-h 127.0.0.1',
    `-k ${dataDir}`,
    ...productionSettings.map((s) => `-c ${s}`),
    // Off by default: it costs the server a little CPU per statement.
    ...(statements ? ['-c shared_preload_libraries=pg_stat_statements'] : []),
  ];
  await pgCtl(dataDir, [
    'start',
    '-w',
    '-t',
    '60',
    '-l',
    path.join(dataDir, 'server.log'),
    '-o',
    options.join(' '),
  ]);
  const check = new pg.Client({ connectionString: server.url });
  await check.connect();
  const shown = await check.query<{ name: string; setting: string }>(
    "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_sync_method')",
  );
  await check.end();
  console.log(`PostgreSQL ${dataDir}: ${shown.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}`);
  return {
    server,
    url: server.url,
    dataDir,
    postmasterPid: () => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
  };
}

/** Commits and WAL position of the server, for per-run figures. */
async function pgCounters(url: string): Promise<{ commits: number; walBytes: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = (
      await client.query<{ commits: string; wal: string }>(
        `SELECT (SELECT sum(xact_commit) FROM pg_stat_database)::text AS commits,
                pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS wal`,
      )
    ).rows[0];
    return { commits: Number(row?.commits ?? 0), walBytes: Number(row?.wal ?? 0) };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Load

interface Load {
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

/**
 * autocannon against `urls`, connections spread round-robin over them. autocannon accepts an
 * array of URLs at run time; its type definitions only declare a string.
 */
async function load(urls: string[], seconds: number, connections: number): Promise<Load> {
  const options = {
    url: urls.map((u) => `${u}${hookPath}`),
    connections,
    duration: seconds,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    requests: leadBodies.map((body) => ({ method: 'POST' as const, body })),
  };
  const result = await autocannon(options as unknown as autocannon.Options);
  return {
    requests: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

// ---------------------------------------------------------------------------------------------
// Baseline: node:http + one INSERT per request

/** Runs in a child process (`--baseline-server`), so its CPU is measured apart from the generator. */
async function baselineServer(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 50 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS baseline_events (id bigserial PRIMARY KEY, payload jsonb NOT NULL, received_at bigint NOT NULL)',
  );
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pool
        .query<{ id: string }>(
          'INSERT INTO baseline_events (payload, received_at) VALUES ($1, $2) RETURNING id',
          [Buffer.concat(chunks).toString('utf8'), Date.now()],
        )
        .then(
          (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"id":${r.rows[0]?.id}}`),
          () => res.writeHead(500).end(),
        );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (typeof address === 'object' && address !== null) console.log(`listening ${address.port}`);
  });
}

async function benchBaseline(pgb: BenchPostgres, opts: Options): Promise<Row> {
  const url = await createDatabase(pgb.url, 'bench_baseline');
  const child: ChildProcess = spawn(process.execPath, [thisScript, '--baseline-server', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    await load([base], opts.warmupS, opts.connections);
    const pids = [child.pid!, ...postgresPids(pgb.postmasterPid())];
    const counts0 = await pgCounters(pgb.url);
    const cpu0 = snapshotCpu(pids);
    const result = await load([base], opts.durationS, opts.connections);
    const cpu1 = snapshotCpu(pids);
    const counts1 = await pgCounters(pgb.url);
    const perRequest = (n: number) => (result.requests > 0 ? n / result.requests : 0);
    return {
      name: 'baseline: node:http + 1 INSERT',
      requestsPerS: result.requests / result.seconds,
      runsPerS: result.requests / result.seconds,
      p50: result.p50,
      p99: result.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      cpu: cpuBetween(cpu0, cpu1, new Set([child.pid!])),
      commitsPerRun: perRequest(counts1.commits - counts0.commits),
      walBytesPerRun: perRequest(counts1.walBytes - counts0.walBytes),
      backlog: 0,
      notes: 'one row per request, autocommit, pool 50',
    };
  } finally {
    child.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Weft

async function benchWeft(
  pgb: BenchPostgres,
  opts: Options,
  layout: { name: string; roles: { role: WeftRole; count: number }[] },
  index: number,
): Promise<Row> {
  const databaseUrl = await createDatabase(pgb.url, `bench_weft_${index}`);
  const flowsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-flows-'));
  fs.copyFileSync(benchFlow, path.join(flowsDir, 'lead-router.yaml'));
  const cluster = new WeftCluster({
    databaseUrl,
    flowsDir,
    env: { WEFT_LOG_LEVEL: 'warn', WEFT_ADMIN_TOKEN: 'bench-cluster-admin-token-0123456789' },
    readyTimeoutMs: 60_000,
  });
  try {
    await cluster.migrate();
    // One process first (deploys the flow, creates the token), then the others together.
    const [first, ...rest] = layout.roles.flatMap(({ role, count }) =>
      Array.from({ length: count }, () => role),
    );
    await cluster.add({ role: first! });
    await Promise.all(rest.map((role) => cluster.add({ role })));
    const urls = cluster.httpUrls();
    const warmup = await load(urls, opts.warmupS, opts.connections);

    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      // Let the warm-up's queue drain, so the window measures its own work only.
      for (let i = 0; i < 100; i++) {
        const left = await countUnfinished(pool);
        if (left === 0) break;
        await sleep(100);
      }
      if (opts.statements) await resetStatements(databaseUrl);
      const weftPids = new Set(cluster.nodes.map((n) => n.pid!));
      const pids = [...weftPids, ...postgresPids(pgb.postmasterPid())];
      const counts0 = await pgCounters(pgb.url);
      const cpu0 = snapshotCpu(pids);
      const from = Date.now();
      const result = await load(urls, opts.durationS, opts.connections);
      const to = Date.now();
      const cpu1 = snapshotCpu(pids);
      const counts1 = await pgCounters(pgb.url);
      const backlog = await countUnfinished(pool);
      // Durable runs: succeeded, finished inside the window.
      const done = Number(
        (
          await pool.query<{ n: string }>(
            "SELECT count(*)::text AS n FROM runs WHERE status = 'succeeded' AND finished_at >= $1 AND finished_at < $2",
            [from, to],
          )
        ).rows[0]?.n ?? 0,
      );
      const seconds = (to - from) / 1000;
      const perRun = (n: number) => (done > 0 ? n / done : 0);
      if (opts.statements) console.log(`${layout.name}:\n${await topStatements(databaseUrl, done)}\n`);
      const durability = await checkDurability(pool, warmup.requests + result.requests, backlog);
      return {
        name: layout.name,
        requestsPerS: result.requests / result.seconds,
        runsPerS: done / seconds,
        p50: result.p50,
        p99: result.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        cpu: cpuBetween(cpu0, cpu1, weftPids),
        commitsPerRun: perRun(counts1.commits - counts0.commits),
        walBytesPerRun: perRun(counts1.walBytes - counts0.walBytes),
        backlog,
        notes: durability,
      };
    } finally {
      await pool.end();
    }
  } catch (error) {
    throw new Error(`${layout.name}: ${String(error)}\n${cluster.output().slice(-3000)}`);
  } finally {
    await cluster.stop(5_000);
    fs.rmSync(flowsDir, { recursive: true, force: true });
  }
}

/**
 * Every acknowledged request has its run: once the queue is drained, there are at least as many
 * succeeded runs as 2xx answers, none failed, and one run per event. Counts, not ids (collecting
 * every reply's run id would load the generator); a count short of the answers fails the benchmark.
 * A `serve` + `work` window leaves a queue too long to wait for: then only what finished is checked.
 */
async function checkDurability(pool: pg.Pool, acknowledged: number, backlog: number): Promise<string> {
  if (backlog < 5_000) {
    for (let i = 0; i < 300 && (await countUnfinished(pool)) > 0; i++) await sleep(100);
  }
  const row = (
    await pool.query<{ events: string; runs: string; ok: string; failed: string }>(
      `SELECT (SELECT count(*) FROM events)::text AS events, count(*)::text AS runs,
         (count(*) FILTER (WHERE status = 'succeeded'))::text AS ok,
         (count(*) FILTER (WHERE status = 'failed'))::text AS failed FROM runs`,
    )
  ).rows[0];
  const [events, runs, ok, failed] = [row?.events, row?.runs, row?.ok, row?.failed].map(Number) as [
    number,
    number,
    number,
    number,
  ];
  const drained = runs === ok + failed;
  if (failed > 0 || events !== runs || (drained && ok < acknowledged)) {
    throw new Error(
      `durability check failed: ${acknowledged} acknowledged, ${events} events, ${runs} runs, ${ok} succeeded, ${failed} failed`,
    );
  }
  return drained
    ? `${acknowledged} acknowledged, ${ok} runs succeeded`
    : `${acknowledged} acknowledged, ${ok} runs succeeded so far, ${runs - ok} still queued`;
}

async function countUnfinished(pool: pg.Pool): Promise<number> {
  const row = (
    await pool.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM runs WHERE status IN ('queued', 'running')",
    )
  ).rows[0];
  return Number(row?.n ?? 0);
}

async function resetStatements(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  } finally {
    await client.end();
  }
}

/** The statements that took the server's time in the window, per durable run. */
async function topStatements(url: string, runs: number): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (
      await client.query<{ query: string; calls: string; total_ms: number; mean_ms: number }>(
        `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls::text, total_exec_time AS total_ms,
                mean_exec_time AS mean_ms
         FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         ORDER BY total_exec_time DESC LIMIT 14`,
      )
    ).rows;
    return [
      '| calls/run | mean µs | total ms | statement |',
      '|---:|---:|---:|---|',
      ...rows.map(
        (r) =>
          `| ${(Number(r.calls) / Math.max(1, runs)).toFixed(2)} | ${(r.mean_ms * 1000).toFixed(0)} | ${r.total_ms.toFixed(0)} | ${r.query.slice(0, 110).replaceAll('|', '\\|')} |`,
      ),
    ].join('\n');
  } finally {
    await client.end();
  }
}

/** Bytes per run in each table, from the last Weft database: the input of the sizing estimate. */
async function tableSizes(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const runs = Number(
      (await client.query<{ n: string }>('SELECT count(*)::text AS n FROM runs')).rows[0]?.n ?? 0,
    );
    const rows = (
      await client.query<{ name: string; total: string; heap: string }>(
        `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS total, pg_relation_size(c.oid)::text AS heap
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('events', 'runs', 'journal', 'actions')
         ORDER BY c.relname`,
      )
    ).rows;
    const lines = rows.map(
      (r) => `| ${r.name} | ${(Number(r.heap) / runs).toFixed(0)} | ${(Number(r.total) / runs).toFixed(0)} |`,
    );
    const total = rows.reduce((n, r) => n + Number(r.total), 0);
    return [
      `Table sizes after ${runs} runs (bytes per run; total includes indexes and TOAST):`,
      '',
      '| table | heap | total |',
      '|---|---:|---:|',
      ...lines,
      `| **all** | | **${(total / Math.max(1, runs)).toFixed(0)}** |`,
    ].join('\n');
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function cores(seconds: number, window: number): string {
  return (seconds / window).toFixed(2);
}

function table(rows: Row[], opts: Options): string {
  const header =
    '| setup | req/s | durable runs/s | p50 ms | p99 ms | non-2xx / errors | CPU app | CPU postgres | CPU load gen | CPU kernel net | CPU other | machine busy | commits/run | WAL B/run |';
  const lines = rows.map((r) => {
    const w = opts.durationS;
    const pct = (n: number) => `${((100 * n) / Math.max(r.cpu.machineCapacity, 1e-9)).toFixed(0)} %`;
    const stolen = r.cpu.steal > 0.01 * r.cpu.machineCapacity ? ` (+ steal ${pct(r.cpu.steal)})` : '';
    const busy = `${pct(r.cpu.machineBusy)}${stolen}`;
    // Whatever else ran on the machine meanwhile: other processes, kernel threads.
    const other = Math.max(
      0,
      r.cpu.machineBusy - r.cpu.app - r.cpu.postgres - r.cpu.generator - r.cpu.interrupts,
    );
    return `| ${r.name} | ${r.requestsPerS.toFixed(0)} | ${r.runsPerS.toFixed(0)}${r.backlog > 0 ? ` (backlog ${r.backlog})` : ''} | ${r.p50} | ${r.p99} | ${r.non2xx} / ${r.errors} | ${cores(r.cpu.app, w)} | ${cores(r.cpu.postgres, w)} | ${cores(r.cpu.generator, w)} | ${cores(r.cpu.interrupts, w)} | ${cores(other, w)} | ${busy} | ${r.commitsPerRun.toFixed(2)} | ${r.walBytesPerRun.toFixed(0)} |`;
  });
  return [
    header,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...lines,
    '',
    ...rows.filter((r) => r.notes !== '').map((r) => `- ${r.name}: ${r.notes}`),
    '',
    `CPU columns are cores (CPU seconds per second of the ${opts.durationS} s window; app = the weft processes, or the`,
    `baseline's node:http process; kernel net = irq + softirq time, mostly loopback TCP, charged to no process;`,
    `other = the rest of the machine's busy time, e.g. other processes). ${os.cpus().length} cores in all.`,
  ].join('\n');
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      processes: { type: 'string', default: '1,2,4' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      split: { type: 'boolean', default: false },
      statements: { type: 'boolean', default: false },
      'no-baseline': { type: 'boolean', default: false },
    },
  });
  return {
    processes: values.processes
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0),
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    connections: Number(values.connections),
    split: values.split,
    baseline: !values['no-baseline'],
    statements: values.statements,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const guard = setTimeout(() => {
    console.error(`benchmark did not finish in ${overallTimeoutMs / 1000} s; giving up`);
    process.exit(2);
  }, overallTimeoutMs);
  guard.unref();
  console.log(
    `cluster benchmark: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `${opts.connections} connections, ${opts.warmupS} s warm-up, ${opts.durationS} s measured`,
  );
  const pgb = await startBenchPostgres(opts.statements);
  const rows: Row[] = [];
  let lastWeftDb = '';
  try {
    if (opts.baseline) rows.push(await benchBaseline(pgb, opts));
    let index = 0;
    for (const n of opts.processes) {
      index++;
      rows.push(
        await benchWeft(pgb, opts, { name: `weft start ×${n}`, roles: [{ role: 'start', count: n }] }, index),
      );
      lastWeftDb = `bench_weft_${index}`;
      console.log(`done: weft start ×${n}`);
    }
    if (opts.split) {
      for (const n of opts.processes.filter((p) => p >= 2)) {
        index++;
        const half = n / 2;
        rows.push(
          await benchWeft(
            pgb,
            opts,
            {
              name: `weft serve ×${Math.ceil(half)} + work ×${Math.floor(half)}`,
              roles: [
                { role: 'serve', count: Math.ceil(half) },
                { role: 'work', count: Math.floor(half) },
              ],
            },
            index,
          ),
        );
        console.log(`done: serve+work ×${n}`);
      }
    }
    console.log(`\n${table(rows, opts)}\n`);
    if (lastWeftDb !== '') {
      const u = new URL(pgb.url);
      u.pathname = `/${lastWeftDb}`;
      console.log(`${await tableSizes(u.toString())}\n`);
    }
  } finally {
    await pgb.server.stop();
  }
}

if (process.argv[2] === '--baseline-server') {
  await baselineServer(process.argv[3] ?? '');
} else {
  await main();
}
