import fs from 'node:fs';
import path from 'node:path';
import { WeftError } from './contract/errors.js';

/**
 * Embedded mode owns its data directory alone. The lock file names the owning pid; a lock left by
 * a process that no longer exists (killed, crashed) is taken over, and the caller then knows every
 * lease in the database belonged to a dead process.
 */
export function lockDataDir(dataDir: string): { release(): void; tookOverFrom: number | null } {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'weft.lock');
  let tookOverFrom: number | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { release: () => releaseIfOurs(file), tookOverFrom };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new WeftError({
          code: 'conflict',
          message: `another Weft process (pid ${owner}) is using ${dataDir}; stop it or choose another --data-dir`,
        });
      }
      tookOverFrom = Number.isInteger(owner) ? owner : null;
      fs.rmSync(file, { force: true });
    }
  }
  throw new WeftError({ code: 'conflict', message: `could not lock ${file}` });
}

function releaseIfOurs(file: string): void {
  try {
    if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the data directory's lock, read without taking it (for `weft doctor`). */
export type DataDirLockState = { state: 'free' } | { state: 'held' | 'stale'; pid: number | null };

/**
 * `held`: a live process owns the directory. `stale`: the owner is gone (killed, crashed); the
 * next start takes the lock over and resumes that process's runs at once.
 */
export function readDataDirLock(dataDir: string): DataDirLockState {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'weft.lock'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'free' };
    throw err;
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid)) return { state: 'stale', pid: null };
  return { state: pid === process.pid || isAlive(pid) ? 'held' : 'stale', pid };
}
