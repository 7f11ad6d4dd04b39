import { hostOf, probeOf, targetOf } from '../connectors/catalog-entry.js';
import { WeftError } from '../contract/errors.js';
import { scrubSecrets, secretValuesOf } from './codec.js';
import type { ConnectionRegistry, OpenConnection, ResolvedConnection } from './registry.js';

/** The outcome of `weft connections test`, one word a person can act on. */
export const connectionVerdicts = ['ok', 'auth_failed', 'unreachable', 'rate_limited', 'error'] as const;
export type ConnectionVerdict = (typeof connectionVerdicts)[number];

export interface ConnectionTestResult {
  name: string;
  connector: string;
  verdict: ConnectionVerdict;
  ok: boolean;
  /** One line for a person: what happened, and what to check. Never a secret. */
  message: string;
  /** How long the probe took, ms (also on failure). */
  latencyMs: number;
  /** The probe: `<action>` of the connector's catalog entry, or `GET <base URL>` when it has none. */
  probe: string;
  /** The host the probe called (a database's `host:port` for PostgreSQL). */
  host: string;
  /** The error code, on failure. */
  code?: string;
  /** When a rate-limited System said when to come back. */
  retryAfterMs?: number;
}

/** A probe should answer quickly; a Connection with a shorter timeout keeps its own. */
const probeTimeoutMs = 10_000;

/**
 * Opens the Connection and runs its catalog entry's probe — a cheap authenticated read — and turns
 * the outcome into a verdict: `ok` (with latency), `auth_failed` (credentials rejected),
 * `unreachable` (DNS, connection refused, timeout; names the host), `rate_limited`, or `error`
 * with its code. One module behind both `POST /api/connections/{name}/test` and the CLI. A
 * connector without a read action (the generic `http`) gets a reachability check instead: an
 * authenticated `GET` of the base URL, judged by its status (see {@link reachabilityCheck}).
 *
 * The probe uses a connector of its own that does not retry a 429 (the verdict is "rate limited",
 * not a wait), so it does not touch the shared limiter of the Connection's users either; it is
 * closed before the verdict returns, so a database pool does not keep the CLI alive. An unknown
 * Connection is WeftError `not_found`; every other failure is a verdict.
 *
 * @example
 * const result = await testConnection({ registry, name: 'stripe-main' });
 * if (!result.ok) console.error(`${result.verdict}: ${result.message}`);
 */
export async function testConnection(opts: {
  registry: ConnectionRegistry;
  name: string;
  now?: () => number;
}): Promise<ConnectionTestResult> {
  const now = opts.now ?? (() => performance.now());
  const { registry, name } = opts;
  let resolved: ResolvedConnection;
  try {
    resolved = await registry.resolve(name);
  } catch (err) {
    if (err instanceof WeftError && err.code === 'not_found') throw err;
    const record = await registry.get(name);
    const e = err instanceof WeftError ? err : new WeftError({ code: 'internal', message: String(err) });
    return {
      name,
      connector: record.connector,
      verdict: 'error',
      ok: false,
      message: e.message,
      latencyMs: 0,
      probe: '',
      host: hostOf(record.baseUrl ?? ''),
      code: e.code,
    };
  }
  const { entry, connection } = resolved;
  const host = targetOf(entry, connection);
  const probe = probeOf(entry, connection.auth.kind);
  const baseUrl = connection.baseUrl ?? entry.connector.defaultBaseUrl;
  const base = { name, connector: connection.connector, probe: probe?.action ?? `GET ${baseUrl}`, host };
  const started = now();
  let connector: OpenConnection | undefined;
  try {
    // A timeout of its own, shorter than a run's: a person is waiting for the verdict.
    const timeoutMs = Math.min(connection.limits?.timeoutMs ?? probeTimeoutMs, probeTimeoutMs);
    connector = await registry.connectOnce(name, { deps: { maxRateLimitRetries: 0 }, timeoutMs });
    const answered =
      probe === undefined
        ? await reachabilityCheck(connector)
        : await connector.run(probe.action, probe.input).then(() => 'answered');
    const latencyMs = Math.round(now() - started);
    return {
      ...base,
      verdict: 'ok',
      ok: true,
      message: `${base.probe} ${answered} in ${latencyMs} ms`,
      latencyMs,
    };
  } catch (err) {
    const latencyMs = Math.round(now() - started);
    const e = err instanceof WeftError ? err : new WeftError({ code: 'internal', message: String(err) });
    const secrets = secretValuesOf({
      name,
      connector: connection.connector,
      auth: connection.auth,
      webhookSecrets: resolved.webhookSecrets,
    });
    const verdict = verdictOf(e);
    return {
      ...base,
      verdict,
      ok: false,
      message: scrubSecrets(explain(verdict, e, host), secrets),
      latencyMs,
      code: e.code,
      ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    };
  } finally {
    // A PostgreSQL Connection holds a pool whose sockets would keep the process alive.
    await connector?.close().catch(() => undefined);
  }
}

/**
 * An authenticated `GET` of the Connection's base URL, for connectors whose only actions write.
 * Any answer from 2xx to 4xx shows the System is there (a 404 or 405 for the bare base URL is
 * common); 401 and 403 say the credentials were refused, and stay errors (`auth`, `forbidden`), as
 * do 429 (`rate_limited`) and 5xx. Resolves with what answered, for the `ok` message.
 */
export async function reachabilityCheck(connector: OpenConnection): Promise<string> {
  const { baseUrl, id } = connector.ctx.connection;
  // RFC 6761 reserves `.invalid`: a connector without a natural default (`http`) puts its base URL there.
  if (new URL(baseUrl).hostname.endsWith('.invalid')) {
    throw new WeftError({
      code: 'invalid_input',
      message: `connection ${id} has no baseUrl, and ${connector.connector.name} has no default: set one`,
    });
  }
  try {
    const res = await connector.ctx.http.request({ method: 'GET', path: baseUrl });
    return `answered HTTP ${res.status}`;
  } catch (err) {
    const status = err instanceof WeftError ? err.details.status : undefined;
    if (typeof status === 'number' && status >= 400 && status < 500 && ![401, 403, 429].includes(status)) {
      return `answered HTTP ${status}`;
    }
    throw err;
  }
}

/** Error code → verdict. Exhaustive over the verdicts that have a cause; the rest is `error`. */
export function verdictOf(err: WeftError): ConnectionVerdict {
  switch (err.code) {
    case 'auth':
    case 'unauthorized':
    case 'forbidden':
      return 'auth_failed';
    case 'network':
    case 'timeout':
      return 'unreachable';
    case 'unavailable':
      // A connector not on HTTP (PostgreSQL) reports a refused socket as `unavailable` + errno.
      return typeof err.details.errno === 'string' ? 'unreachable' : 'error';
    case 'rate_limited':
      return 'rate_limited';
    default:
      return 'error';
  }
}

function explain(verdict: ConnectionVerdict, err: WeftError, host: string): string {
  switch (verdict) {
    case 'auth_failed':
      return `credentials rejected by ${host}: ${err.message}`;
    case 'unreachable': {
      const errno = typeof err.details.errno === 'string' ? ` (${err.details.errno})` : lowLevelReason(err);
      return err.code === 'timeout'
        ? `${host} did not answer in time: ${err.message}`
        : `cannot reach ${host}${errno}: ${err.message}`;
    }
    case 'rate_limited':
      return `${host} is rate limiting this Connection${err.retryAfterMs === undefined ? '' : `; retry in ${Math.ceil(err.retryAfterMs / 1000)} s`}`;
    default:
      return err.message;
  }
}

/** fetch wraps the socket's reason (`bad port`, a TLS failure) two causes deep. */
function lowLevelReason(err: WeftError): string {
  const fetchError = err.cause;
  const reason =
    fetchError instanceof Error && fetchError.cause instanceof Error ? fetchError.cause.message : '';
  return reason === '' ? '' : ` (${reason})`;
}
