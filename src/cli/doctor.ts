import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type Config, loadConfig, runtimeMode } from '../config.js';
import { toWeftError } from '../contract/errors.js';
import { readDataDirLock } from '../data-dir-lock.js';
import { openStore, sqlitePath } from '../store/open-store.js';
import type { StoreInspection } from '../store/port.js';
import type { CliContext } from './context.js';
import { CliError } from './io.js';
import { printJson } from './output.js';

/** `error` fails the run of `weft doctor` (exit 1); `warn` is printed and passes. */
export type Verdict = 'ok' | 'warn' | 'error';

/** One line of the report. */
export interface Check {
  name: string;
  verdict: Verdict;
  message: string;
}

/**
 * Clock skew between this machine and the database server. Leases hold times written by one
 * machine and compared by another (a worker's lease expiry, read by every claimer), so machines
 * must agree: each within 1 s of the database puts any two within 2 s of each other, small
 * against the default 30 s lease. Past 5 s a live run may be taken over, or a dead one wait long.
 */
export const clockWarnMs = 1_000;
export const clockErrorMs = 5_000;

/** The verdict on a measured skew (ms, either sign). */
export function clockVerdict(skewMs: number): Verdict {
  const size = Math.abs(skewMs);
  return size > clockErrorMs ? 'error' : size > clockWarnMs ? 'warn' : 'ok';
}

/**
 * `weft doctor`: checks what a process of this configuration needs, prints one verdict per check
 * (`ok`, `warn`, `error`) and exits 1 if any is an error. Changes nothing: it never migrates, and
 * in embedded mode it does not create a database that is not there yet.
 */
export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('check the database, migrations, clock (PostgreSQL) or data directory (SQLite)')
    .option('--data-dir <dir>', 'SQLite database directory, without WEFT_DATABASE_URL (WEFT_DATA_DIR)')
    .action(async (flags: { dataDir?: string }, cmd: Command) => {
      const checks = await diagnose(ctx.io.env, flags.dataDir);
      const failed = checks.some((c) => c.verdict === 'error');
      if (ctx.json(cmd)) {
        printJson(ctx.io, { ok: !failed, checks });
      } else {
        const width = Math.max(...checks.map((c) => c.name.length));
        for (const c of checks) ctx.io.out(`${c.verdict.padEnd(5)}  ${c.name.padEnd(width)}  ${c.message}\n`);
      }
      if (failed) throw new CliError('doctor: some checks failed', 1);
    });
}

/** Runs every check that applies to the configuration in `env`. */
export async function diagnose(env: NodeJS.ProcessEnv, dataDir?: string): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig({ env, flags: { dataDir } });
  } catch (err) {
    return [{ name: 'config', verdict: 'error', message: toWeftError(err).message }];
  }
  const mode = runtimeMode(config);
  const checks: Check[] = [
    {
      name: 'config',
      verdict: 'ok',
      message:
        mode === 'cluster'
          ? 'cluster mode: PostgreSQL (WEFT_DATABASE_URL)'
          : `embedded mode: SQLite in ${config.dataDir}`,
    },
  ];
  if (mode === 'embedded') {
    checks.push(dataDirCheck(config.dataDir), lockCheck(config.dataDir));
    if (!fs.existsSync(sqlitePath(config))) {
      checks.push({
        name: 'database',
        verdict: 'ok',
        message: `no database yet at ${sqlitePath(config)}: \`weft start\` or \`weft migrate\` creates it`,
      });
      return checks;
    }
  }
  const store = openStore(config);
  try {
    const report = await store.inspect();
    checks.push(databaseCheck(report, config), migrationsCheck(report));
    if (report.clockSkewMs !== null) checks.push(clockCheck(report.clockSkewMs, report.clockUncertaintyMs));
  } catch (err) {
    const message = toWeftError(err).message;
    checks.push({ name: 'database', verdict: 'error', message: `not reachable: ${message}` });
  } finally {
    await store.close().catch(() => undefined);
  }
  return checks;
}

function databaseCheck(report: StoreInspection, config: Config): Check {
  const where = report.dialect === 'sqlite' ? ` at ${sqlitePath(config)}` : '';
  return {
    name: 'database',
    verdict: 'ok',
    message: `${report.dialect} ${report.serverVersion}${where}, reachable`,
  };
}

function migrationsCheck(report: StoreInspection): Check {
  if (report.schemaVersion > report.knownVersion) {
    return {
      name: 'migrations',
      verdict: 'error',
      message: `schema version ${report.schemaVersion} is newer than this Weft knows (${report.knownVersion}): upgrade Weft`,
    };
  }
  if (report.pending.length > 0) {
    return {
      name: 'migrations',
      verdict: 'warn',
      message: `${report.pending.length} pending (${report.pending.join(', ')}): \`weft migrate\` applies them, as does any role at boot`,
    };
  }
  return { name: 'migrations', verdict: 'ok', message: `schema version ${report.schemaVersion}, up to date` };
}

function clockCheck(skewMs: number, uncertaintyMs: number | null): Check {
  const verdict = clockVerdict(skewMs);
  const sign = skewMs >= 0 ? '+' : '-';
  const measured = `database clock ${sign}${Math.abs(skewMs)} ms from this machine's (±${uncertaintyMs ?? '?'} ms)`;
  const advice =
    verdict === 'ok'
      ? ''
      : `; leases compare clocks across machines: sync this one (NTP) to within ${clockWarnMs} ms`;
  return { name: 'clock', verdict, message: measured + advice };
}

function dataDirCheck(dataDir: string): Check {
  // The nearest directory that exists is the one that must let us write (the rest is created).
  let dir = dataDir;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    return { name: 'data dir', verdict: 'error', message: `${dir} is not writable` };
  }
  const note = dir === dataDir ? 'writable' : `does not exist yet; ${dir} is writable`;
  return { name: 'data dir', verdict: 'ok', message: `${dataDir}: ${note}` };
}

function lockCheck(dataDir: string): Check {
  const lock = readDataDirLock(dataDir);
  if (lock.state === 'free') return { name: 'lock', verdict: 'ok', message: 'free: no Weft process uses it' };
  if (lock.state === 'held') {
    return { name: 'lock', verdict: 'ok', message: `held by a running Weft process (pid ${lock.pid})` };
  }
  return {
    name: 'lock',
    verdict: 'warn',
    message: `left by pid ${lock.pid ?? '?'}, which is gone: the next \`weft start\` takes it over and resumes its runs`,
  };
}
