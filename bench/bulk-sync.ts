/**
 * W2, bulk sync (`npm run bench:sync`; method and results in docs/benchmarks.md): N accounts from
 * the Salesforce sandbox (the CRM) to the NetSuite sandbox (the ERP) through one Weft flow — a
 * `poll` trigger on the CRM's account changes → a `map` (CRM fields → ERP customer fields,
 * normalised) → `customers.upsert` by external id (`PUT …/customer/eid:<Salesforce Id>`).
 *
 * The sandboxes run in a child process (bench/sync-sandboxes.ts), so their CPU is not Weft's; Weft
 * runs embedded in this process through `startWeft` (SQLite in a temp data dir, port 0). Phases:
 *
 * - `capacity`: the ERP sandbox alone — raw TBA-signed upserts from many keep-alive clients, no Weft;
 * - `weft`: Weft alone — the same flow against a null ERP that answers 204 and does nothing;
 * - `sync`: the real sync, from `startWeft` (flow deploy, poller start) until the ERP holds all N
 *   customers and every run has ended; runs succeeded/failed and open exceptions are counted;
 * - `resync`: the same N records again through a second Connection to the same CRM (so a fresh
 *   cursor reads everything again): every upsert lands on the existing customer, so the ERP must
 *   still hold exactly N.
 *
 *   node dist/bench/bulk-sync.js                   all phases, 100,000 records
 *   node dist/bench/bulk-sync.js --records 10000   a quick run
 *   options: --phases capacity,weft,sync,resync  --worker-concurrency <n> (128)
 *            --netsuite-concurrency <n> (1000)  --capacity-clients <n> (64)  --timeout <s> (300)
 *            --capacity-records <n> (min(records, 20000))  --sandbox-node-options "<node flags>"
 *
 * Exits non-zero when a phase times out, a run fails, an exception is open or the ERP's count is
 * not N.
 *
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Config } from '../src/config.js';
import type { NetSuiteTbaCredentials } from '../src/connector/oauth1.js';
import { startWeft } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import { measureErpCapacity } from './erp-capacity.js';
import { loadAverage, type PhaseUsage, startUsage } from './sync-measure.js';
import type { SyncSandboxes } from './sync-sandboxes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const sandboxEntry = path.join(here, 'sync-sandboxes.js');

interface Options {
  records: number;
  phases: Set<string>;
  workerConcurrency: number;
  netsuiteConcurrency: number;
  capacityClients: number;
  capacityRecords: number;
  timeoutS: number;
  /** Extra `node` flags for the sandbox process (e.g. `--cpu-prof` to profile it). */
  sandboxNodeOptions: string[];
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at < 0 ? undefined : argv[at + 1];
  };
  const int = (name: string, fallback: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} takes a positive integer, not ${raw}`);
    return n;
  };
  const records = int('--records', 100_000);
  return {
    records,
    phases: new Set((value('--phases') ?? 'capacity,weft,sync,resync').split(',')),
    workerConcurrency: int('--worker-concurrency', 128),
    netsuiteConcurrency: int('--netsuite-concurrency', 1000),
    capacityClients: int('--capacity-clients', 64),
    capacityRecords: int('--capacity-records', Math.min(records, 20_000)),
    timeoutS: int('--timeout', 300),
    sandboxNodeOptions: (value('--sandbox-node-options') ?? '').split(' ').filter((f) => f !== ''),
  };
}

// ---------------------------------------------------------------------------------------------
// The sandboxes

interface Sandboxes extends SyncSandboxes {
  child: ChildProcess;
}

async function startSandboxes(opts: Options, deadline: number): Promise<Sandboxes> {
  const child = spawn(
    process.execPath,
    [...opts.sandboxNodeOptions, sandboxEntry, '--netsuite-concurrency', String(opts.netsuiteConcurrency)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const ready = await new Promise<SyncSandboxes>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error('the sandboxes did not start within 20 s')),
      Math.min(20_000, deadline - Date.now()),
    );
    child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code} at start`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as SyncSandboxes);
      }
    });
  });
  return { ...ready, child };
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function erpCustomers(sb: Sandboxes): Promise<number> {
  const stats = await json<{ objects: { customer: number } }>(`${sb.netsuite.url}/_sandbox/stats`);
  return stats.objects.customer;
}

async function nullErpRequests(sb: Sandboxes): Promise<number> {
  return (await json<{ requests: number }>(`${sb.nullErp.url}/_null/stats`)).requests;
}

// ---------------------------------------------------------------------------------------------
// Weft: Connections, the flow, and a run to completion

/** The mapping: Salesforce Account → NetSuite customer, every field normalised. */
function flowYaml(name: string, crm: string, erp: string): string {
  return `name: ${name}
description: W2 bulk sync — Salesforce accounts to NetSuite customers, upserted by external id.
trigger:
  kind: poll
  connection: ${crm}
  trigger: accounts
  every: 1s
steps:
  - id: customer
    kind: map
    set:
      externalId: event.body.record.Id
      companyName: $trim(event.body.record.Name)
      url: $lowercase($trim(event.body.record.Website))
      phone: $trim(event.body.record.Phone)
      comments: $string(event.body.record.Industry)
  - id: upsert
    kind: action
    connection: ${erp}
    action: customers.upsert
    input: steps.customer
`;
}

interface SandboxConnection {
  baseUrl: string;
  auth: Record<string, unknown>;
  settings?: Record<string, string>;
}

/** Connection files (JSON is YAML) whose credentials are secret references, served by `secrets`. */
function writeConnections(dir: string, sb: Sandboxes, secrets: Map<string, string>, pollFrom: string) {
  fs.mkdirSync(dir, { recursive: true });
  const sealed = (prefix: string, auth: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(auth).map(([k, v]) => {
        if (k === 'kind') return [k, v];
        const name = `${prefix}_${k}`.toUpperCase();
        secrets.set(name, String(v));
        return [k, { secret: name }];
      }),
    );
  const crm = sb.salesforce.connection as SandboxConnection;
  const erp = sb.netsuite.connection as SandboxConnection;
  // Limits high enough that Weft's own pacing never holds the sync back: the point is to measure.
  const unthrottled = { requestsPerSecond: 1_000_000, burst: 1_000_000, timeoutMs: 30_000 };
  const files: Record<string, unknown> = {
    crm: {
      name: 'crm',
      connector: 'salesforce',
      baseUrl: crm.baseUrl,
      auth: sealed('crm', crm.auth),
      settings: { ...crm.settings, pollFrom, pollLimit: '2000' },
    },
    // A second Connection to the same org: its own poll cursor, so the re-sync reads everything again.
    'crm-again': {
      name: 'crm-again',
      connector: 'salesforce',
      baseUrl: crm.baseUrl,
      auth: sealed('crm', crm.auth),
      settings: { ...crm.settings, pollFrom, pollLimit: '2000' },
    },
    erp: {
      name: 'erp',
      connector: 'netsuite',
      baseUrl: erp.baseUrl,
      auth: sealed('erp', erp.auth),
      settings: erp.settings,
      limits: unthrottled,
    },
    'null-erp': {
      name: 'null-erp',
      connector: 'netsuite',
      baseUrl: `${sb.nullErp.url}/services/rest`,
      auth: sealed('erp', erp.auth),
      settings: erp.settings,
      limits: unthrottled,
    },
  };
  for (const [name, body] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, `${name}.yaml`), JSON.stringify(body, null, 2));
  }
}

interface RunCounts {
  succeeded: number;
  failed: number;
  other: number;
  openExceptions: number;
}

function countRuns(db: Database.Database, flow: string): RunCounts {
  const rows = db
    .prepare('SELECT status, count(*) AS n FROM runs WHERE flow_name = ? GROUP BY status')
    .all(flow) as { status: string; n: number }[];
  const by = new Map(rows.map((r) => [r.status, r.n]));
  const openExceptions = (
    db.prepare("SELECT count(*) AS n FROM exceptions WHERE status != 'resolved'").get() as { n: number }
  ).n;
  const succeeded = by.get('succeeded') ?? 0;
  const failed = by.get('failed') ?? 0;
  const total = rows.reduce((s, r) => s + r.n, 0);
  return { succeeded, failed, other: total - succeeded - failed, openExceptions };
}

interface SyncResult {
  label: string;
  records: number;
  /** From the call to startWeft until the target held every record and every run had ended. */
  seconds: number;
  /** From the call to startWeft until it returned (migrate, deploy, poller start). */
  startSeconds: number;
  /** When the target first held every record. */
  targetSeconds: number;
  runs: RunCounts;
  usage: PhaseUsage;
  targetCount: number;
}

/**
 * Starts Weft on `dataDir` with `flows` deployed and waits until `target()` reaches `records`
 * and every run of `flow` has ended, or the deadline passes (an error naming the progress).
 */
async function runSync(opts: {
  label: string;
  sb: Sandboxes;
  options: Options;
  dataDir: string;
  flowsDir: string;
  connectionsDir: string;
  secrets: Map<string, string>;
  /** The Connections' sealing key: the same for every start on one data dir. */
  secretsKey: string;
  flow: string;
  records: number;
  target: () => Promise<number>;
  deadline: number;
}): Promise<SyncResult> {
  const config = Config.parse({
    dataDir: opts.dataDir,
    port: 0,
    logLevel: 'warn',
    flowsDir: opts.flowsDir,
    connectionsDir: opts.connectionsDir,
    workerConcurrency: opts.options.workerConcurrency,
    secretsKey: opts.secretsKey,
    adminToken: randomBytes(24).toString('hex'),
  });
  const usage = startUsage(opts.sb.pid);
  const started = performance.now();
  const weft = await startWeft(config, {
    logger: createLogger({ level: 'warn' }),
    secrets: { get: (name) => opts.secrets.get(name) },
  });
  const startSeconds = (performance.now() - started) / 1000;
  const db = new Database(path.join(opts.dataDir, 'weft.db'), { readonly: true });
  let targetSeconds = Number.NaN;
  let targetCount = 0;
  let runs: RunCounts = { succeeded: 0, failed: 0, other: 0, openExceptions: 0 };
  try {
    for (let tick = 0; ; tick++) {
      targetCount = await opts.target();
      if (Number.isNaN(targetSeconds) && targetCount >= opts.records)
        targetSeconds = (performance.now() - started) / 1000;
      // Counting runs scans the runs table in this (Weft's) process: once a second until the
      // end is near, then every check.
      const near = runs.succeeded + runs.failed >= opts.records * 0.95;
      if (near || tick % 10 === 0) runs = countRuns(db, opts.flow);
      if (runs.succeeded + runs.failed >= opts.records && targetCount >= opts.records) break;
      if (Date.now() > opts.deadline) {
        throw new Error(
          `${opts.label}: timed out after ${((performance.now() - started) / 1000).toFixed(0)} s: ` +
            `target holds ${targetCount}/${opts.records}, runs succeeded ${runs.succeeded}, failed ${runs.failed}, ` +
            `not ended ${runs.other}, open exceptions ${runs.openExceptions}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    targetCount = await opts.target();
    return {
      label: opts.label,
      records: opts.records,
      seconds,
      startSeconds,
      targetSeconds,
      runs: countRuns(db, opts.flow),
      usage: usage.stop(),
      targetCount,
    };
  } finally {
    db.close();
    await weft.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function usageLine(u: PhaseUsage, records: number, selfName: string): string {
  const perRecord = (ms: number) => `${fmt((ms * 1000) / records, 0)} µs/record`;
  return (
    `  CPU: ${selfName} ${fmt(u.selfCpuMs / 1000, 1)} s (${fmt((u.selfCpuMs / 10 / u.seconds) | 0)} % of a core, ${perRecord(u.selfCpuMs)}), ` +
    `sandboxes ${fmt(u.sandboxCpuMs / 1000, 1)} s (${fmt((u.sandboxCpuMs / 10 / u.seconds) | 0)} % of a core, ${perRecord(u.sandboxCpuMs)})\n` +
    `  peak RSS: ${selfName} ${fmt(u.selfPeakRssMb)} MB, sandboxes ${fmt(u.sandboxPeakRssMb)} MB; load average ${u.loadBefore} → ${u.loadAfter}`
  );
}

function reportSync(r: SyncResult): string {
  return (
    `${r.label}: ${fmt(r.records)} records in ${fmt(r.seconds, 1)} s = ${fmt(r.records / r.seconds)} records/s ` +
    `(startWeft ${fmt(r.startSeconds, 2)} s; target complete at ${fmt(r.targetSeconds, 1)} s)\n` +
    `  runs: ${fmt(r.runs.succeeded)} succeeded, ${fmt(r.runs.failed)} failed, ${fmt(r.runs.other)} not ended; ` +
    `open exceptions ${r.runs.openExceptions}; target holds ${fmt(r.targetCount)}\n${usageLine(r.usage, r.records, 'Weft')}`
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const deadline = Date.now() + options.timeoutS * 1000;
  const watchdog = setTimeout(
    () => {
      process.stderr.write(`bulk-sync: no result after ${options.timeoutS} s; giving up\n`);
      process.exit(2);
    },
    options.timeoutS * 1000 + 15_000,
  );
  watchdog.unref();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-w2-'));
  const sb = await startSandboxes(options, deadline);
  const failures: string[] = [];
  try {
    console.log(
      `W2 bulk sync: ${fmt(options.records)} records; Node ${process.version}, ${os.cpus().length} CPUs; ` +
        `load average ${loadAverage()}; Weft worker concurrency ${options.workerConcurrency}; ` +
        `NetSuite sandbox concurrency limit ${options.netsuiteConcurrency} (real Tier 1: 15)`,
    );
    const seedStarted = performance.now();
    const pollFrom = new Date(Date.now() - 60_000).toISOString();
    await json(`${sb.salesforce.url}/_sandbox/seed`, post({ Account: options.records }));
    console.log(
      `seed: ${fmt(options.records)} Salesforce accounts in ${fmt((performance.now() - seedStarted) / 1000, 1)} s (one transaction)`,
    );

    const erp = sb.netsuite.connection as SandboxConnection;
    const credentials = erp.auth as unknown as NetSuiteTbaCredentials;
    if (options.phases.has('capacity')) {
      const usage = startUsage(sb.pid);
      const cap = await measureErpCapacity({
        baseUrl: erp.baseUrl,
        credentials,
        records: options.capacityRecords,
        clients: options.capacityClients,
        prefix: 'cap-',
        deadline,
      });
      const u = usage.stop();
      console.log(
        `capacity (ERP sandbox alone, ${options.capacityClients} keep-alive clients, no Weft): ` +
          `${fmt(cap.upserts)} upserts in ${fmt(cap.seconds, 1)} s = ${fmt(cap.upserts / cap.seconds)} upserts/s, ` +
          `${cap.failures} failed${cap.failureSamples.length > 0 ? ` (${cap.failureSamples.join('; ')})` : ''}\n` +
          usageLine(u, cap.upserts, 'client'),
      );
      if (cap.failures > 0) failures.push(`capacity: ${cap.failures} upserts failed`);
      // Start the sync from an empty ERP.
      await json(`${sb.netsuite.url}/_sandbox/reset`, post({}));
    }

    const secrets = new Map<string, string>();
    const connectionsDir = path.join(tmp, 'connections');
    writeConnections(connectionsDir, sb, secrets, pollFrom);
    const secretsKey = randomBytes(32).toString('base64');
    const common = { sb, options, connectionsDir, secrets, secretsKey, records: options.records, deadline };

    if (options.phases.has('weft')) {
      const flowsDir = path.join(tmp, 'flows-null');
      fs.mkdirSync(flowsDir);
      fs.writeFileSync(path.join(flowsDir, 'w2-null.yaml'), flowYaml('w2-null', 'crm', 'null-erp'));
      const before = await nullErpRequests(sb);
      const r = await runSync({
        ...common,
        label: 'weft alone (null ERP)',
        dataDir: path.join(tmp, 'weft-null'),
        flowsDir,
        flow: 'w2-null',
        target: async () => (await nullErpRequests(sb)) - before,
      });
      console.log(reportSync(r));
      if (r.runs.failed > 0 || r.runs.openExceptions > 0) failures.push(`weft alone: runs failed`);
    }

    if (options.phases.has('sync') || options.phases.has('resync')) {
      const dataDir = path.join(tmp, 'weft-sync');
      const flowsDir = path.join(tmp, 'flows-sync');
      fs.mkdirSync(flowsDir);
      fs.writeFileSync(path.join(flowsDir, 'w2-sync.yaml'), flowYaml('w2-sync', 'crm', 'erp'));
      const sync = await runSync({
        ...common,
        label: 'sync (Salesforce sandbox → Weft → NetSuite sandbox)',
        dataDir,
        flowsDir,
        flow: 'w2-sync',
        target: () => erpCustomers(sb),
      });
      console.log(reportSync(sync));
      check(failures, 'sync', sync, options.records);

      if (options.phases.has('resync')) {
        // Same data dir: the first flow is still deployed (caught up); the second reads all again.
        fs.writeFileSync(path.join(flowsDir, 'w2-resync.yaml'), flowYaml('w2-resync', 'crm-again', 'erp'));
        const again = await runSync({
          ...common,
          label: 're-sync (same records again, second cursor)',
          dataDir,
          flowsDir,
          flow: 'w2-resync',
          // Every upsert of the re-sync updates; count the runs, then check the ERP did not grow.
          target: () => erpCustomers(sb),
        });
        console.log(reportSync(again));
        check(failures, 're-sync', again, options.records);
      }
    }
  } finally {
    sb.child.stdin?.end();
    sb.child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`load average at the end: ${loadAverage()}`);
  if (failures.length > 0) {
    console.error(`FAILED: ${failures.join('; ')}`);
    return 1;
  }
  return 0;
}

/** Exactly N customers in the ERP, N succeeded runs, nothing failed or left open. */
function check(failures: string[], label: string, r: SyncResult, records: number): void {
  if (r.targetCount !== records) failures.push(`${label}: the ERP holds ${r.targetCount}, not ${records}`);
  if (r.runs.succeeded !== records)
    failures.push(`${label}: ${r.runs.succeeded} runs succeeded, not ${records}`);
  if (r.runs.failed > 0) failures.push(`${label}: ${r.runs.failed} runs failed`);
  if (r.runs.openExceptions > 0) failures.push(`${label}: ${r.runs.openExceptions} open exceptions`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bulk-sync: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
