import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startWeftProcess, type WeftProcess, weftBin } from '../support/weft-process.js';

/**
 * Bad input against a real `weft start` process: every kind gets a clear error, and the process
 * keeps serving afterwards (health and a good webhook that runs a flow to its `respond` step).
 * One process for the whole file; every request has its own timeout, so a hang fails fast.
 */

const adminToken = 'bad-input-admin-token-0123456789';
const hookSecret = 'e2e-hook-secret';
const requestTimeoutMs = 5_000;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bad-input-'));
let weft: WeftProcess;
let goodDeliveries = 0;

/** Flows deployed at start (`--flows`): a good echo flow, a small body limit, a signed hook. */
const startupFlows: Record<string, string> = {
  'echo.yaml': `
name: echo
trigger:
  kind: webhook
  path: echo
steps:
  - id: reply
    kind: respond
    body: '{ "echo": event.body.n }'
`,
  'limited.yaml': `
name: limited
trigger:
  kind: webhook
  path: limited
  maxBodyBytes: 4096
steps:
  - id: keep
    kind: map
    expression: event.body
`,
  'signed.yaml': `
name: signed
trigger:
  kind: webhook
  path: signed
  signature: { secret: HOOK, header: x-signature, prefix: "sha256=" }
steps:
  - id: keep
    kind: map
    expression: event.body
`,
  'unset-secret.yaml': `
name: unset-secret
trigger:
  kind: webhook
  path: unset-secret
  signature: { secret: NOT_SET_ANYWHERE }
steps:
  - id: keep
    kind: map
    expression: event.body
`,
};

/** Broken on purpose: an unknown trigger key (line 5) and an unknown step kind (line 8). */
const schemaBrokenFlow = `name: broken
trigger:
  kind: webhook
  path: broken
  maxBodyByte: 10
steps:
  - id: first
    kind: mapp
  - id: second
    kind: map
    expression: event.body
`;

/** Valid YAML and schema, but an expression that does not compile (line 7) and an unknown key in a step (line 8). */
const semanticBrokenFlow = `name: broken
trigger:
  kind: manual
steps:
  - id: first
    kind: map
    expression: event.body.(
    sett: { a: "1" }
`;

const yamlSyntaxError = `name: broken
trigger: [unclosed
steps: []
`;

interface ErrorReply {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

interface FlowProblem {
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

interface ExceptionReply {
  id: string;
  runId: string;
  flowName: string;
  stepId: string;
  status: string;
  error: { code: string; message: string; retryable: boolean };
}

interface RunReply {
  run: { id: string; status: string; finishedAt: number | null; error: { code: string } | null };
}

function hook(name: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${weft.url}/hooks/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
}

function api(pathname: string, init: { method?: string; body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? adminToken : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${weft.url}${pathname}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
}

async function errorOf(res: Response): Promise<ErrorReply['error']> {
  const body = (await res.json()) as ErrorReply;
  return body.error;
}

function sign(body: string): string {
  return `sha256=${createHmac('sha256', hookSecret).update(body).digest('hex')}`;
}

/** The process is alive, answers /health, and runs a good webhook's flow to its reply. */
async function expectStillServing(): Promise<void> {
  expect(weft.child.exitCode, weft.output()).toBeNull();
  const health = await fetch(`${weft.url}/health`, { signal: AbortSignal.timeout(requestTimeoutMs) });
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const n = ++goodDeliveries;
  const res = await hook('echo', JSON.stringify({ n }));
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ echo: n });
}

interface RawReply {
  status: number;
  body: string;
}

/**
 * A POST over raw node:http, so the test controls Content-Length and chunking. `write` sends the
 * body (and ends the request when it wants to); the promise settles with the server's reply, or
 * rejects with the socket error when the server closed the connection before a reply was read.
 */
function rawPost(opts: {
  path: string;
  headers: Record<string, string>;
  write: (req: http.ClientRequest) => void;
}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: weft.port,
      method: 'POST',
      path: opts.path,
      headers: opts.headers,
      agent: false,
    });
    let replied = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no reply within ${requestTimeoutMs} ms`));
    }, requestTimeoutMs);
    req.on('response', (res) => {
      replied = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on('error', (err) => {
      if (replied) return;
      clearTimeout(timer);
      reject(err);
    });
    opts.write(req);
  });
}

/** Runs the built CLI as a child process. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [weftBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const flowsDir = path.join(tmp, 'flows');
  fs.mkdirSync(flowsDir);
  for (const [file, source] of Object.entries(startupFlows))
    fs.writeFileSync(path.join(flowsDir, file), source);
  weft = await startWeftProcess({
    dataDir: path.join(tmp, 'data'),
    port: await freePort(),
    flowsDir,
    env: { WEFT_ADMIN_TOKEN: adminToken, WEFT_SECRET_HOOK: hookSecret },
  });
  await expectStillServing();
});

afterAll(async () => {
  await weft?.kill('SIGKILL');
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('bad input to a running weft process', () => {
  it('malformed JSON body: 400 naming the line, column and position', async () => {
    const res = await hook('echo', '{"n": 1,\n "x": }');
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe(
      "malformed JSON body at line 2, column 7 (position 15): unexpected character '}'",
    );
    expect(error.details).toEqual({ position: 15, line: 2, column: 7, reason: "unexpected character '}'" });

    const truncated = await hook('echo', '{"n": [1, 2');
    expect(truncated.status).toBe(400);
    expect((await errorOf(truncated)).message).toMatch(/position 11\): unexpected end of input$/);
    await expectStillServing();
  });

  it('oversize body with a big Content-Length: 413 before the body is read', async () => {
    const reply = await rawPost({
      path: '/hooks/limited',
      headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
      // Declares 50 MiB and sends 1 KiB: the answer must not wait for the rest.
      write: (req) => req.write(Buffer.alloc(1024, 'a')),
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toEqual({
      error: {
        code: 'payload_too_large',
        message: 'body exceeds 4096 bytes',
        details: { maxBodyBytes: 4096 },
      },
    });
    await expectStillServing();
  });

  it('oversize chunked body without Content-Length: 413 once the counted bytes pass the limit', async () => {
    const reply = await rawPost({
      path: '/hooks/limited',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      write: (req) => {
        for (let i = 0; i < 8; i++) req.write(Buffer.alloc(1024, 'b'));
        req.end();
      },
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error).toMatchObject({ code: 'payload_too_large' });
    await expectStillServing();
  });

  it('a sender that keeps streaming is cut off, and nothing is stored', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'c');
    let sent = 0;
    const outcome = await rawPost({
      path: '/hooks/limited',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      write: (req) => {
        // Up to 64 MiB, paced by backpressure: far more than the limit.
        const pump = () => {
          while (!req.destroyed && sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', pump);
          }
          if (!req.destroyed) req.end();
        };
        pump();
      },
    }).then(
      (reply) => ({ status: reply.status, code: undefined }),
      (err: NodeJS.ErrnoException) => ({ status: undefined, code: err.code }),
    );
    // Node's client often reports the server's early close (EPIPE/ECONNRESET) instead of the 413
    // it was sent (curl shows the 413); either way the upload was refused, long before 64 MiB.
    const refused = outcome.status === 413 || outcome.code === 'EPIPE' || outcome.code === 'ECONNRESET';
    expect(refused, JSON.stringify(outcome)).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    const events = (await (await api('/api/events?flow=limited')).json()) as { events: unknown[] };
    expect(events.events).toEqual([]);
    await expectStillServing();
  });

  it('missing or bad HMAC signature: 401; a correct one is accepted', async () => {
    const body = '{"order":42}';
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      wrong: { 'x-signature': sign('{"order":43}') },
      'no prefix': { 'x-signature': sign(body).slice('sha256='.length) },
      'not hex': { 'x-signature': 'sha256=zz' },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await hook('signed', body, headers);
      expect(res.status, name).toBe(401);
      expect(await res.json(), name).toEqual({
        error: { code: 'unauthorized', message: 'invalid or missing signature' },
      });
    }
    const good = await hook('signed', body, { 'x-signature': sign(body) });
    expect(good.status).toBe(202);
    expect(await good.json()).toMatchObject({ duplicate: false });

    // The operator forgot WEFT_SECRET_NOT_SET_ANYWHERE: a 500 that tells the caller nothing secret.
    const misconfigured = await hook('unset-secret', body, { 'x-weft-signature': 'deadbeef' });
    expect(misconfigured.status).toBe(500);
    expect(await errorOf(misconfigured)).toEqual({
      code: 'config_error',
      message: 'this webhook is not configured correctly; the server log has the details',
    });
    await expectStillServing();
  });

  it('invalid flow YAML through POST /api/flows: 400 listing file:line:column', async () => {
    const file = 'flows/broken.yaml';
    const schema = await api('/api/flows', { method: 'POST', body: { source: schemaBrokenFlow, file } });
    expect(schema.status).toBe(400);
    const schemaError = await errorOf(schema);
    expect(schemaError.code).toBe('invalid_input');
    expect(schemaError.message.split('\n')).toEqual([
      'flows/broken.yaml:5:3: trigger.maxBodyByte: unknown key "maxBodyByte"',
      'flows/broken.yaml:8:5: steps[0].kind: kind must be one of: map, branch, action, wait, respond',
    ]);
    const problems = schemaError.details?.problems as FlowProblem[];
    expect(problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [5, 3, 'trigger.maxBodyByte'],
      [8, 5, 'steps[0].kind'],
    ]);

    const semantic = await api('/api/flows', { method: 'POST', body: { source: semanticBrokenFlow, file } });
    expect(semantic.status).toBe(400);
    expect((await errorOf(semantic)).message.split('\n')).toContain(
      'flows/broken.yaml:8:5: steps[0].sett: unknown key "sett"',
    );

    const syntax = await api('/api/flows', { method: 'POST', body: { source: yamlSyntaxError, file } });
    expect(syntax.status).toBe(400);
    expect((await errorOf(syntax)).message).toMatch(/^flows\/broken\.yaml:\d+:\d+: .+/);

    // Validation without deploying gives the same answer; nothing was published.
    const validate = await api('/api/flows/validate', {
      method: 'POST',
      body: { source: schemaBrokenFlow, file },
    });
    expect(validate.status).toBe(400);
    expect((await errorOf(validate)).message).toBe(schemaError.message);
    expect((await api('/api/flows/broken')).status).toBe(404);
    await expectStillServing();
  });

  it('a bad expression is reported at deploy with its line, once the schema is satisfied', async () => {
    const source = semanticBrokenFlow.replace('    sett: { a: "1" }\n', '');
    const res = await api('/api/flows', { method: 'POST', body: { source, file: 'flows/broken.yaml' } });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(
      /^flows\/broken\.yaml:7:\d+: steps\[0\]\.expression: invalid expression: /,
    );
    await expectStillServing();
  });

  it('weft flows validate FILE: exit 1 and one file:line:column line per problem', async () => {
    const file = path.join(tmp, 'broken.yaml');
    fs.writeFileSync(file, schemaBrokenFlow);
    const bad = await runCli(['flows', 'validate', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trimEnd().split('\n')).toEqual([
      `${file}:5:3: trigger.maxBodyByte: unknown key "maxBodyByte"`,
      `${file}:8:5: steps[0].kind: kind must be one of: map, branch, action, wait, respond`,
      `${file}: 2 problem(s)`,
    ]);

    const syntaxFile = path.join(tmp, 'syntax.yaml');
    fs.writeFileSync(syntaxFile, yamlSyntaxError);
    const syntax = await runCli(['flows', 'validate', syntaxFile]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr.startsWith(`${syntaxFile}:`)).toBe(true);
    expect(syntax.stderr.slice(syntaxFile.length)).toMatch(/^:\d+:\d+: /);

    const goodFile = path.join(tmp, 'flows', 'echo.yaml');
    const good = await runCli(['flows', 'validate', goodFile]);
    expect(good.code).toBe(0);
    expect(good.stdout).toBe(`${goodFile}: ok (flow 'echo')\n`);
  });

  it('a runaway expression ends in the error queue as expression_timeout; other webhooks are answered meanwhile', async () => {
    const timeoutMs = 1_500;
    const source = `
name: runaway
trigger:
  kind: webhook
  path: runaway
limits:
  expressionTimeoutMs: ${timeoutMs}
steps:
  - id: spin
    kind: map
    expression: '($f := function($x){ $f($x+1) }; $f(0))'
`;
    const deploy = await api('/api/flows', { method: 'POST', body: { source, file: 'flows/runaway.yaml' } });
    expect(deploy.status).toBe(201);

    const startedAt = Date.now();
    const accepted = await hook('runaway', '{}');
    // No respond step: the event is acknowledged at once, the run goes on in the background.
    expect(accepted.status).toBe(202);
    const { runId } = (await accepted.json()) as { runId: string };

    // While the expression spins, keep delivering good webhooks and timing them.
    const answeredAt: number[] = [];
    let slowest = 0;
    let exception: ExceptionReply | undefined;
    while (exception === undefined) {
      if (Date.now() - startedAt > timeoutMs + 8_000) {
        throw new Error(`the runaway run did not reach the error queue in time\n${weft.output()}`);
      }
      const t = Date.now();
      await expectStillServing();
      answeredAt.push(Date.now());
      slowest = Math.max(slowest, Date.now() - t);
      const list = await api('/api/exceptions?flow=runaway');
      const { exceptions } = (await list.json()) as { exceptions: ExceptionReply[] };
      exception = exceptions.find((e) => e.runId === runId);
    }

    expect(exception).toMatchObject({
      flowName: 'runaway',
      stepId: 'spin',
      status: 'open',
      error: {
        code: 'expression_timeout',
        message: `expression ran longer than ${timeoutMs} ms`,
        retryable: false,
      },
    });
    const run = (await (await api(`/api/runs/${runId}`)).json()) as RunReply;
    expect(run.run.status).toBe('failed');
    expect(run.run.error?.code).toBe('expression_timeout');
    const finishedAt = run.run.finishedAt as number;
    // The deadline stopped it: not before the budget, and not much after.
    expect(finishedAt - startedAt).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(finishedAt - startedAt).toBeLessThan(timeoutMs + 3_000);
    // Good webhooks ran to their reply while the expression was still spinning.
    expect(answeredAt.filter((t) => t < finishedAt).length).toBeGreaterThanOrEqual(3);
    expect(slowest).toBeLessThan(1_000);

    const byCode = await api('/api/exceptions?code=expression_timeout&status=open');
    const listed = (await byCode.json()) as { exceptions: ExceptionReply[] };
    expect(listed.exceptions.map((e) => e.runId)).toContain(runId);
    await expectStillServing();
  });

  it('unknown webhook path: 404', async () => {
    const res = await hook('no/such/path', '{}');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: 'not_found',
      message: 'no flow listens on /hooks/no/such/path',
    });
    await expectStillServing();
  });

  it('missing or invalid bearer token on /api: 401', async () => {
    const missing = await api('/api/runs', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="weft"');
    expect(await errorOf(missing)).toEqual({ code: 'unauthorized', message: 'missing bearer token' });

    const unknown = await api('/api/runs', { token: 'weft_not-a-real-token' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await errorOf(unknown)).toEqual({ code: 'unauthorized', message: 'unknown or revoked token' });

    const basic = await fetch(`${weft.url}/api/runs`, {
      headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    expect(basic.status).toBe(401);

    // Mutations are refused the same way, and nothing is sent.
    const send = await api('/api/events', {
      method: 'POST',
      body: { flow: 'echo', payload: {} },
      token: null,
    });
    expect(send.status).toBe(401);

    // The OpenAPI document is public.
    expect((await api('/api/openapi.json', { token: null })).status).toBe(200);
    await expectStillServing();
  });
});
