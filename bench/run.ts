/**
 * The engine benchmark (`npm run bench`; results and method in docs/benchmarks.md).
 *
 * Starts the built `weft start` as a child process with `bench/flows/lead-router.yaml`
 * (webhook → map → branch → respond), loads it with autocannon from this process at 50
 * keep-alive connections (a short warm-up, then a measured window), and prints one markdown table
 * row: runs/s (2xx only), p50/p99 latency, CPU ms per run and peak RSS of the server process.
 * Then it kills the server with SIGKILL and checks, in the database, that every acknowledged
 * request has a committed event, a succeeded run and its whole journal. The same load against a
 * bare `node:http` server inserting one better-sqlite3 row per request gives the baseline row.
 *
 * Why autocannon runs in this process rather than in a third one: the server is already a
 * separate process, so its CPU and RSS are measured alone either way, and this process does
 * nothing but generate load during the window. A third process would only add a hop for the
 * response headers the durability check collects. The generator still shares the machine's cores
 * with the server; its own CPU use is printed so the reader can see how much it took.
 *
 *   node dist/bench/run.js             Weft, then the baseline
 *   node dist/bench/run.js --weft      Weft only
 *   node dist/bench/run.js --baseline  the baseline only
 *   options: --duration <s> (10), --warmup <s> (2), --connections <n> (50),
 *            --weft-node-options "<flags>" (V8 flags for the Weft process, e.g. a heap cap)
 *
 * Exits non-zero when the durability check fails (or a server cannot be started).
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const flowFile = path.join(repoRoot, 'bench', 'flows', 'lead-router.yaml');
const weftBin = path.join(repoRoot, 'bin', 'weft.js');
const thisScript = fileURLToPath(import.meta.url);

/** Steps journaled per run of the bench flow: lead, route, the chosen case's map, reply. */
const journalPerRun = 4;
/** The targets from the benchmark issue; printed next to the results, not enforced. */
const targets = { runsPerSecond: 5_000, p99Ms: 25, rssMb: 120 };
/** Hard stop for the whole benchmark, so a hung server cannot hold CI. */
const overallTimeoutMs = 120_000;

/** Three leads, one per branch case, so every case of the flow is exercised. */
const leadBodies = [
  { email: ' Ana.Silva@Globex.com ', employees: 1200, country: 'us' },
  { email: 'bo@initech.io', employees: 250, country: 'de' },
  { email: 'Cy@Example.org ', employees: 12, country: 'fr' },
].map((b) => JSON.stringify(b));

interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  /** Extra `node` flags for the Weft process (default none: Node's own heap sizing). */
  weftNodeOptions: string[];
}

interface Target {
  name: string;
  url: string;
  pid: number;
  /** Response header that names the committed record (run id, row id). */
  idHeader: string;
  /** Stops the server abruptly (SIGKILL): the check then sees only what was committed. */
  kill(): Promise<void>;
  /** How many of `ids` are durable; and the totals found, for the report. */
  verify(ids: string[]): Durability;
  cleanup(): void;
}

interface Durability {
  verified: number;
  details: string;
  consistent: boolean;
}

interface LoadResult {
  ok2xx: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Ids from the `idHeader` of each 2xx response; missing headers are counted apart. */
  ids: string[];
  missingIds: number;
}

interface Row {
  name: string;
  load: LoadResult;
  cpuMsPerRun: number;
  rssMb: number;
  generatorCpuPercent: number;
  durability: Durability & { acknowledged: number; ok: boolean };
}

// ---------------------------------------------------------------------------------------------
// Measurement

/** Clock ticks per second of /proc/<pid>/stat times (100 on every common Linux). */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}
const ticksPerSecond = clockTicks();

/** utime + stime of a process, in milliseconds. */
function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15; the slice starts at field 3.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond;
}

/** Peak resident set size of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}

async function load(
  url: string,
  idHeader: string,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const ids: string[] = [];
  let missingIds = 0;
  const onResponse = (
    status: number,
    _body: string,
    _context: object,
    headers: IncomingHttpHeaders | undefined,
  ) => {
    if (status < 200 || status > 299) return;
    const id = headers?.[idHeader];
    if (typeof id === 'string') ids.push(id);
    else missingIds += 1;
  };
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: leadBodies.map((body) => ({ method: 'POST', body, onResponse })),
  });
  return {
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ids,
    missingIds,
  };
}

async function measure(target: Target, options: BenchOptions): Promise<Row> {
  const warm = await load(target.url, target.idHeader, options.warmupS, options.connections);
  const cpuBefore = cpuMsOf(target.pid);
  const selfBefore = process.cpuUsage();
  const main = await load(target.url, target.idHeader, options.durationS, options.connections);
  const cpuAfter = cpuMsOf(target.pid);
  const self = process.cpuUsage(selfBefore);
  const rssMb = peakRssMb(target.pid);
  await target.kill();

  const ids = [...warm.ids, ...main.ids];
  const durable = target.verify(ids);
  const acknowledged = warm.ok2xx + main.ok2xx;
  const headersComplete = warm.missingIds + main.missingIds === 0 && ids.length === acknowledged;
  return {
    name: target.name,
    load: main,
    cpuMsPerRun: main.ok2xx > 0 ? (cpuAfter - cpuBefore) / main.ok2xx : Number.NaN,
    rssMb,
    generatorCpuPercent: ((self.user + self.system) / 1000 / (main.seconds * 1000)) * 100,
    durability: {
      ...durable,
      acknowledged,
      ok: headersComplete && durable.consistent && durable.verified === acknowledged,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Targets

/** Spawns `node <args>` and resolves with the first stdout line matching `ready`. */
async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Output is always drained: a child blocked on a full pipe would stall mid-benchmark.
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString('utf8'));
    if (tail.length > 20) tail.shift();
  };
  child.stderr?.on('data', keep);
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      keep(chunk);
      buffered += chunk.toString('utf8');
      const match = ready.exec(buffered);
      if (match) {
        child.stdout?.off('data', onData);
        child.stdout?.on('data', keep);
        child.off('exit', onExit);
        resolve({ child, match });
      }
    };
    const onExit = (code: number | null) =>
      reject(new Error(`server exited (${code}) before it was ready:\n${tail.join('')}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function startWeftTarget(tmp: string, options: BenchOptions): Promise<Target> {
  const dataDir = path.join(tmp, 'data');
  const flowsDir = path.join(tmp, 'flows');
  fs.mkdirSync(flowsDir, { recursive: true });
  fs.copyFileSync(flowFile, path.join(flowsDir, path.basename(flowFile)));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WEFT_LOG_LEVEL: 'warn',
    WEFT_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    // Every connection's run must get an inline slot, or it waits for the claim poll.
    WEFT_WORKER_CONCURRENCY: String(Math.max(64, options.connections * 4)),
  };
  const { child, match } = await spawnServer(
    [...options.weftNodeOptions, weftBin, 'start', '--port', '0', '--data-dir', dataDir, '--flows', flowsDir],
    env,
    /Weft is running at (http:\/\/\S+)/,
  );
  const flags = options.weftNodeOptions.length > 0 ? `, node ${options.weftNodeOptions.join(' ')}` : '';
  return {
    name: `Weft (webhook → map → branch → respond${flags})`,
    url: `${match[1]}/hooks/bench/leads`,
    pid: child.pid as number,
    idHeader: 'x-weft-run',
    kill: () => killChild(child),
    verify: (ids) => verifyWeft(path.join(dataDir, 'weft.db'), ids),
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

function verifyWeft(dbPath: string, ids: string[]): Durability {
  const db = new Database(dbPath, { readonly: true });
  try {
    const count = (sql: string, params: unknown[] = []) =>
      (db.prepare(sql).get(...params) as { n: number }).n;
    // One query over all acknowledged ids: each must have its event, a succeeded run, and a
    // succeeded journal entry for every step it took. CROSS JOIN keeps the id list as the outer
    // loop (SQLite does not reorder it), so each id is one primary-key look-up rather than the
    // planner's choice of scanning the id list once per succeeded run.
    const verified = count(
      `SELECT count(*) AS n FROM json_each(?) AS a
       CROSS JOIN runs r ON r.id = a.value AND r.status = 'succeeded'
       CROSS JOIN events e ON e.id = r.event_id
       WHERE (SELECT count(*) FROM journal j WHERE j.run_id = r.id AND j.status = 'succeeded') = ?`,
      [JSON.stringify(ids), journalPerRun],
    );
    const events = count('SELECT count(*) AS n FROM events');
    const runs = count('SELECT count(*) AS n FROM runs');
    const succeeded = count("SELECT count(*) AS n FROM runs WHERE status = 'succeeded'");
    const journal = count('SELECT count(*) AS n FROM journal');
    return {
      verified,
      // Runs still in flight when the server was killed are committed but were never
      // acknowledged; they may exist, but every event must have its run.
      consistent: events === runs && journal === succeeded * journalPerRun,
      details: `db: ${events} events, ${runs} runs (${succeeded} succeeded), ${journal} journal entries`,
    };
  } finally {
    db.close();
  }
}

async function startBaselineTarget(tmp: string): Promise<Target> {
  const dbPath = path.join(tmp, 'baseline.db');
  const { child, match } = await spawnServer(
    [thisScript, '--serve-baseline', dbPath],
    process.env,
    /listening on (\d+)/,
  );
  return {
    name: 'bare node:http + 1 SQLite row/request',
    url: `http://127.0.0.1:${match[1]}/hooks/bench/leads`,
    pid: child.pid as number,
    idHeader: 'x-row-id',
    kill: () => killChild(child),
    verify: (ids) => {
      const db = new Database(dbPath, { readonly: true });
      try {
        const verified = db
          .prepare('SELECT count(*) AS n FROM json_each(?) AS a CROSS JOIN events e ON e.id = a.value')
          .get(JSON.stringify(ids.map(Number))) as { n: number };
        const total = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
        return { verified: verified.n, consistent: true, details: `db: ${total.n} rows` };
      } finally {
        db.close();
      }
    },
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

/**
 * The baseline server (run as `run.js --serve-baseline <db>`): what a hand-written endpoint that
 * stores each delivery before answering costs on this machine. Autocommit per request, WAL,
 * synchronous=NORMAL: the same durability setting Weft uses, without group commit.
 */
function serveBaseline(dbPath: string): void {
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, received_at INTEGER NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO events (payload, received_at) VALUES (?, ?)');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        // Parsed to validate it, as any real endpoint would; the text is what is stored.
        JSON.parse(text);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const id = insert.run(text, Date.now()).lastInsertRowid;
      const body = JSON.stringify({ id: Number(id) });
      res.writeHead(200, { 'content-type': 'application/json', 'x-row-id': String(id) }).end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening on ${(server.address() as AddressInfo).port}\n`);
  });
}

// ---------------------------------------------------------------------------------------------
// Report

function formatRow(row: Row): string {
  const { load: l, durability: d } = row;
  const cells = [
    row.name,
    Math.round(l.ok2xx / l.seconds).toLocaleString('en-US'),
    String(l.p50),
    String(l.p99),
    row.cpuMsPerRun.toFixed(3),
    row.rssMb.toFixed(0),
    `${row.generatorCpuPercent.toFixed(0)} %`,
    d.ok ? `yes (${d.verified}/${d.acknowledged})` : `**NO** (${d.verified}/${d.acknowledged})`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const header = [
  '| target | runs/s (2xx) | p50 ms | p99 ms | server CPU ms/run | server peak RSS MB | load generator CPU | acknowledged = committed |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
];

function describe(row: Row): string {
  const { load: l, durability: d } = row;
  const lines = [
    `${row.name}: ${l.ok2xx} × 2xx, ${l.non2xx} non-2xx, ${l.errors} errors in ${l.seconds} s; ${d.details}`,
  ];
  if (l.missingIds > 0) lines.push(`  ${l.missingIds} 2xx responses carried no id header`);
  return lines.join('\n');
}

function misses(row: Row): string[] {
  const out: string[] = [];
  const rate = row.load.ok2xx / row.load.seconds;
  if (rate < targets.runsPerSecond) out.push(`runs/s ${Math.round(rate)} < ${targets.runsPerSecond}`);
  if (row.load.p99 > targets.p99Ms) out.push(`p99 ${row.load.p99} ms > ${targets.p99Ms} ms`);
  if (row.rssMb > targets.rssMb) out.push(`peak RSS ${row.rssMb.toFixed(0)} MB > ${targets.rssMb} MB`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

function stringFlag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function numberFlag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} needs a positive number`);
  return value;
}

async function main(args: string[]): Promise<number> {
  const baselineDb = args.indexOf('--serve-baseline');
  if (baselineDb >= 0) {
    serveBaseline(args[baselineDb + 1] ?? path.join(os.tmpdir(), 'weft-bench-baseline.db'));
    return -1;
  }
  const options: BenchOptions = {
    durationS: numberFlag(args, '--duration', 10),
    warmupS: numberFlag(args, '--warmup', 2),
    connections: numberFlag(args, '--connections', 50),
    weftNodeOptions: stringFlag(args, '--weft-node-options')?.split(/\s+/).filter(Boolean) ?? shebangFlags(),
  };
  const only = args.includes('--baseline') ? 'baseline' : args.includes('--weft') ? 'weft' : 'both';
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: gave up after ${overallTimeoutMs / 1000} s\n`);
    process.exit(2);
  }, overallTimeoutMs);
  watchdog.unref();

  process.stdout.write(
    `weft bench: ${options.connections} connections, ${options.warmupS} s warm-up + ${options.durationS} s measured; ` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}\n` +
      // The server, the load generator and anything else running share these cores.
      `load average before: ${loadAverage()}\n`,
  );
  const rows: Row[] = [];
  const starts: Array<() => Promise<Target>> = [];
  if (only !== 'baseline')
    starts.push(() => startWeftTarget(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-')), options));
  if (only !== 'weft')
    starts.push(() => startBaselineTarget(fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-base-'))));
  for (const start of starts) {
    const target = await start();
    try {
      rows.push(await measure(target, options));
    } finally {
      await target.kill();
      target.cleanup();
    }
  }

  process.stdout.write(`load average after: ${loadAverage()}\n`);
  process.stdout.write(`\n${header.join('\n')}\n${rows.map(formatRow).join('\n')}\n\n`);
  for (const row of rows) process.stdout.write(`${describe(row)}\n`);
  const weft = rows.find((r) => r.name.startsWith('Weft'));
  if (weft) {
    const missed = misses(weft);
    process.stdout.write(
      missed.length === 0
        ? `Weft meets every target (≥ ${targets.runsPerSecond} runs/s, p99 ≤ ${targets.p99Ms} ms, RSS ≤ ${targets.rssMb} MB)\n`
        : `Weft misses: ${missed.join('; ')}\n`,
    );
  }
  const failed = rows.filter((r) => !r.durability.ok);
  for (const row of failed) process.stderr.write(`DURABILITY CHECK FAILED: ${row.name}\n`);
  return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: this process is the baseline server and keeps serving until it is killed.
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);

/**
 * The V8 flags `bin/weft.js` runs with when executed as `weft` (its shebang line), so the bench
 * measures Weft as it is run, from one source of truth.
 */
function shebangFlags(): string[] {
  const first = fs.readFileSync(weftBin, 'utf8').split('\n')[0] ?? '';
  const match = /\bnode\s+(.*)$/.exec(first);
  return match?.[1]?.split(/\s+/).filter(Boolean) ?? [];
}
