import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: found by walking up to package.json, so this works from src and from dist/. */
function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above test/support');
    dir = parent;
  }
  return dir;
}
const root = findRoot();
export const weftBin = path.join(root, 'bin', 'weft.js');

export interface WeftProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote, for assertions and for debugging a failed test. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface WeftProcessOptions {
  dataDir: string;
  port: number;
  flowsDir?: string;
  env?: Record<string, string>;
  args?: string[];
}

/** Runs the built `weft start` as a real child process and waits until it answers /health. */
export async function startWeftProcess(opts: WeftProcessOptions): Promise<WeftProcess> {
  if (!fs.existsSync(path.join(root, 'dist', 'src', 'cli', 'program.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  }
  const args = [
    weftBin,
    'start',
    '--port',
    String(opts.port),
    '--data-dir',
    opts.dataDir,
    ...(opts.args ?? []),
  ];
  if (opts.flowsDir) args.push('--flows', opts.flowsDir);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`weft exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`weft did not become healthy in 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port: opts.port,
    child,
    output: () => out,
    kill: (signal) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for tests run one file per process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
