import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { type HttpServer, startHttpServer } from '../api/server.js';
import { createHarness, type Harness, manualFlow } from '../api/test-kit.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

interface Ran {
  code: number;
  out: string;
  err: string;
}

async function weft(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env,
    readFile: (p) => readFile(p, 'utf8'),
  };
  const code = await runCli(['node', 'weft', ...args], io);
  return { code, out, err };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'weft-cli-'));
});

describe('weft flows validate (local)', () => {
  test('a valid file: exit 0', async () => {
    const file = path.join(dir, 'good.yaml');
    await writeFile(file, manualFlow);
    const r = await weft(['flows', 'validate', file]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain("ok (flow 'manual-flow')");
  });

  test('problems are printed as file:line:column: path: message, exit 1', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, manualFlow.replace('kind: map', 'kind: nope'));
    const r = await weft(['flows', 'validate', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: \\S+: .+`, 'm'),
    );
  });

  test('a missing file is a clean error', async () => {
    const r = await weft(['flows', 'validate', path.join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ENOENT');
  });
});

describe('remote commands', () => {
  let h: Harness;
  let server: HttpServer;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    h = await createHarness();
    server = await startHttpServer({ app: h.app, host: '127.0.0.1', port: 0 });
    env = { WEFT_URL: `http://127.0.0.1:${server.port}`, WEFT_TOKEN: h.tokens.admin };
    return async () => {
      await server.close();
      await h.close();
    };
  });

  test('events send, then runs list shows the run', async () => {
    const sent = await weft(
      ['events', 'send', 'manual-flow', '--data', '{"a":1}', '--dedupe-key', 'cli-1'],
      env,
    );
    expect(sent.code).toBe(0);
    const reply = JSON.parse(sent.out) as { eventId: string; runId: string; duplicate: boolean };
    expect(reply.duplicate).toBe(false);
    const runs = await weft(['runs', 'list', '--flow', 'manual-flow'], env);
    expect(runs.code).toBe(0);
    expect(runs.out).toMatch(/^ID\s+FLOW\s+STATUS/);
    expect(runs.out).toContain(reply.runId);
    const shown = await weft(['runs', 'show', reply.runId], env);
    expect(JSON.parse(shown.out)).toMatchObject({ run: { id: reply.runId } });
  });

  test('--url and --token flags win over the environment', async () => {
    const r = await weft(['--url', env.WEFT_URL as string, '--token', h.tokens.viewer, 'flows', 'list'], {
      WEFT_URL: 'http://127.0.0.1:1',
    });
    expect(r.code).toBe(0);
    expect(r.out).toContain('manual-flow');
  });

  test('deploy prints the new version, then says unchanged', async () => {
    const file = path.join(dir, 'cli-flow.yaml');
    await writeFile(file, manualFlow.replace('manual-flow', 'cli-flow'));
    expect((await weft(['flows', 'deploy', file], env)).out).toMatch(/^deployed cli-flow v1 /);
    expect((await weft(['flows', 'deploy', file], env)).out).toContain('unchanged');
  });

  test('a rejected deploy prints each located problem once', async () => {
    const file = path.join(dir, 'bad-deploy.yaml');
    await writeFile(file, manualFlow.replace('manual-flow', 'Bad_Name').replace('kind: map', 'kind: nope'));
    const r = await weft(['flows', 'deploy', file], env);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines[0]).toBe('400 invalid_input');
    expect(lines.slice(1)).toHaveLength(2);
    for (const line of lines.slice(1)) expect(line.startsWith(`${file}:`)).toBe(true);
  });

  test("the server's error message and a non-zero exit", async () => {
    const r = await weft(['events', 'send', 'no-such-flow'], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain("404 not_found: no flow named 'no-such-flow'");
  });

  test('a viewer token is refused with the server message', async () => {
    const r = await weft(['exceptions', 'retry-all', '--flow', 'manual-flow'], {
      ...env,
      WEFT_TOKEN: h.tokens.viewer,
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('403 forbidden');
  });

  test('no token: 401 with a hint', async () => {
    const r = await weft(['runs', 'list'], { WEFT_URL: env.WEFT_URL });
    expect(r.code).toBe(1);
    expect(r.err).toContain('set --token or WEFT_TOKEN');
  });

  test('exceptions list and retry-all', async () => {
    const list = await weft(['exceptions', 'list', '--status', 'open'], env);
    expect(list).toMatchObject({ code: 0, out: '(none)\n' });
    const all = await weft(['exceptions', 'retry-all', '--flow', 'manual-flow'], env);
    expect(all).toMatchObject({ code: 0, out: 'retried 0 exception(s)\n' });
  });

  test('tokens create prints the token once; list and revoke', async () => {
    const created = await weft(['tokens', 'create', 'cli-made', '--role', 'viewer'], env);
    expect(created.code).toBe(0);
    const token = created.out.trim();
    expect(token).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);
    expect(created.err).toContain('shown only now');
    const list = await weft(['tokens', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain('cli-made');
    expect(list.out).not.toContain(token);
    const listed = JSON.parse((await weft(['--json', 'tokens', 'list'], env)).out) as {
      tokens: { id: string; name: string }[];
    };
    const id = listed.tokens.find((t) => t.name === 'cli-made')?.id ?? '';
    expect((await weft(['runs', 'list'], { ...env, WEFT_TOKEN: token })).code).toBe(0);
    const revoked = await weft(['tokens', 'revoke', id], env);
    expect(revoked).toMatchObject({ code: 0, out: `revoked ${id} 'cli-made'\n` });
    const refused = await weft(['runs', 'list'], { ...env, WEFT_TOKEN: token });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('revoked');
    const again = await weft(['tokens', 'revoke', id], env);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already revoked');
  });

  test('bad --data JSON is caught before any request', async () => {
    const r = await weft(['events', 'send', 'manual-flow', '--data', '{nope'], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--data is not valid JSON');
  });
});

describe('usage', () => {
  test('--help exits 0; an unknown command exits non-zero', async () => {
    expect((await weft(['--help'])).code).toBe(0);
    const r = await weft(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown command');
  });

  test('an unreachable server is named', async () => {
    const r = await weft(['runs', 'list', '--url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot reach Weft at http://127.0.0.1:1');
  });
});
