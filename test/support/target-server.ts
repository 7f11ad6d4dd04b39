import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the target does with one request: answer normally, fail, or hang past the caller's timeout. */
export type TargetBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'hang'; ms: number }
  | { kind: 'reset' };

export interface TargetRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface TargetServer {
  url: string;
  /** Every request that reached the server, in order. */
  requests: TargetRequest[];
  /** Effects applied, by Idempotency-Key: a key seen again is answered from memory, not re-applied. */
  effects: Map<string, number>;
  /** The first answer given for each Idempotency-Key (what a repeat of the key gets back). */
  answers: Map<string, unknown>;
  /** Requests without an Idempotency-Key (each one an effect). */
  unkeyedEffects: number;
  setBehaviour(fn: (req: TargetRequest, attemptForKey: number) => TargetBehaviour): void;
  close(): Promise<void>;
}

/**
 * A local system of record for tests: it honours Idempotency-Key the way Stripe does (a repeated key
 * returns the first answer without a second effect) and can be told to fail, throttle or hang.
 * Listens on 127.0.0.1 only.
 */
export async function startTargetServer(): Promise<TargetServer> {
  const requests: TargetRequest[] = [];
  const effects = new Map<string, number>();
  const answers = new Map<string, unknown>();
  const attempts = new Map<string, number>();
  let unkeyedEffects = 0;
  let behaviour: (req: TargetRequest, attemptForKey: number) => TargetBehaviour = () => ({ kind: 'ok' });
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = text === '' ? null : JSON.parse(text);
      } catch {
        // Non-JSON bodies are kept as text.
      }
      const keyHeader = req.headers['idempotency-key'];
      const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
      const record: TargetRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        idempotencyKey: key,
        body,
        headers: req.headers,
      };
      requests.push(record);
      const attempt = key === undefined ? 1 : (attempts.get(key) ?? 0) + 1;
      if (key !== undefined) attempts.set(key, attempt);
      const b = behaviour(record, attempt);
      if (b.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if (b.kind === 'hang') {
        setTimeout(() => {
          if (!res.writableEnded) res.destroy();
        }, b.ms).unref();
        return;
      }
      if (b.kind === 'status') {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (b.retryAfterSeconds !== undefined) headers['retry-after'] = String(b.retryAfterSeconds);
        res.writeHead(b.status, headers).end(JSON.stringify({ error: `injected ${b.status}` }));
        return;
      }
      let answer: unknown;
      if (key !== undefined && answers.has(key)) {
        answer = answers.get(key);
      } else {
        answer = { id: `rec_${requests.length}`, received: body };
        if (key === undefined) unkeyedEffects++;
        else {
          answers.set(key, answer);
          effects.set(key, (effects.get(key) ?? 0) + 1);
        }
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    effects,
    answers,
    get unkeyedEffects() {
      return unkeyedEffects;
    },
    setBehaviour(fn) {
      behaviour = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
