import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { type StripeSandbox, startStripeSandbox } from '../../sandbox/stripe/server.js';
import { type HttpServer, startHttpServer } from '../api/server.js';
import { createHarness, type Harness } from '../api/test-kit.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

const wrongKey = 'sk_test_cli_wrong_key_0987654321';

let dir: string;
let sandbox: StripeSandbox;
let closed: string;
let h: Harness;
let server: HttpServer;
let env: NodeJS.ProcessEnv;

/** A local URL nothing listens on: a port the OS handed out and that was closed again. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'weft-cli-connections-'));
  sandbox = await startStripeSandbox({ port: 0 });
  closed = await closedPortUrl();
  h = await createHarness();
  server = await startHttpServer({ app: h.app, host: '127.0.0.1', port: 0 });
  env = {
    WEFT_URL: `http://127.0.0.1:${server.port}`,
    WEFT_TOKEN: h.tokens.admin,
    WEFT_SECRET_STRIPE_KEY: sandbox.apiKey,
    WEFT_SECRET_STRIPE_WRONG: wrongKey,
  };
  return async () => {
    await server.close();
    await h.close();
    await sandbox.close();
  };
});

async function weft(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    env: { ...env, ...extraEnv },
    readFile: (p) => readFile(p, 'utf8'),
  };
  const code = await runCli(['node', 'weft', ...args], io);
  return { code, out, err };
}

async function connectionFile(name: string, secret: string, baseUrl = sandbox.url): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `name: ${name}\nconnector: stripe\nbaseUrl: ${baseUrl}\nauth:\n  kind: bearer\n  token: { secret: ${secret} }\n`,
  );
  return file;
}

describe('weft connections', () => {
  test('apply, list, get, test ok, delete', async () => {
    const file = await connectionFile('stripe-sandbox', 'STRIPE_KEY');
    expect(await weft(['connections', 'apply', '-f', file])).toMatchObject({
      code: 0,
      out: "created connection 'stripe-sandbox' (stripe)\n",
    });
    expect((await weft(['connections', 'apply', '-f', file])).out).toBe(
      "unchanged connection 'stripe-sandbox' (stripe)\n",
    );

    const list = await weft(['connections', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/stripe-sandbox\s+stripe\s+http:\/\/127\.0\.0\.1:\d+\s+bearer \(token\)/);
    const get = await weft(['connections', 'get', 'stripe-sandbox']);
    expect(JSON.parse(get.out)).toMatchObject({
      auth: { kind: 'bearer', fields: ['token'] },
      webhookSecrets: 0,
    });

    const tested = await weft(['connections', 'test', 'stripe-sandbox']);
    expect(tested.code).toBe(0);
    expect(tested.out).toMatch(/^ok: stripe-sandbox \(stripe\): customers\.list answered in \d+ ms\n$/);

    for (const r of [list, get, tested]) expect(r.out).not.toContain(sandbox.apiKey);
    expect(await weft(['connections', 'delete', 'stripe-sandbox'])).toMatchObject({
      code: 0,
      out: "deleted connection 'stripe-sandbox'\n",
    });
  });

  test('auth failed: exit 1, never the key', async () => {
    await weft(['connections', 'apply', '-f', await connectionFile('stripe-wrong', 'STRIPE_WRONG')]);
    const r = await weft(['connections', 'test', 'stripe-wrong']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^auth failed: stripe-wrong \(stripe\): credentials rejected by 127\.0\.0\.1:\d+/);
    expect(r.out + r.err).not.toContain(wrongKey);
    const json = await weft(['--json', 'connections', 'test', 'stripe-wrong']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ verdict: 'auth_failed', code: 'auth' });
    expect(json.out).not.toContain(wrongKey);
  });

  test('unreachable names the host; exit 1', async () => {
    await weft(['connections', 'apply', '-f', await connectionFile('stripe-down', 'STRIPE_KEY', closed)]);
    const r = await weft(['connections', 'test', 'stripe-down']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^unreachable: stripe-down \(stripe\): cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
    );
    expect(r.err).not.toContain(sandbox.apiKey);
  });

  test('a file with problems: file:line:column lines, nothing sent', async () => {
    const file = await connectionFile('stripe-unset', 'NOT_SET_ANYWHERE');
    const r = await weft(['connections', 'apply', '-f', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}:6:`);
    expect(r.err).toContain('WEFT_SECRET_NOT_SET_ANYWHERE');
    expect((await weft(['connections', 'get', 'stripe-unset'])).err).toContain('404 not_found');
  });

  test('plain secrets in a file are applied with a warning', async () => {
    const file = path.join(dir, 'plain.yaml');
    await writeFile(
      file,
      `name: stripe-plain\nconnector: stripe\nauth: { kind: bearer, token: ${sandbox.apiKey} }\n`,
    );
    const r = await weft(['connections', 'apply', '-f', file]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: .*plain\.yaml:3:\d+: auth\.token: a plain secret/);
    expect(r.err).not.toContain(sandbox.apiKey);
  });

  test('rate limited: exit 1', async () => {
    await weft(['connections', 'apply', '-f', await connectionFile('stripe-busy', 'STRIPE_KEY')]);
    const faults = (body: unknown) =>
      fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify(body) });
    await faults({ rateLimit: { requests: 1, windowMs: 60_000 } });
    try {
      await weft(['connections', 'test', 'stripe-busy']);
      const r = await weft(['connections', 'test', 'stripe-busy']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /^rate limited: stripe-busy \(stripe\): 127\.0\.0\.1:\d+ is rate limiting this Connection/,
      );
    } finally {
      await faults({ rateLimit: { requests: 25, windowMs: 1000 } });
    }
  });
});
