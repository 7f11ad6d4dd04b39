import { CliError } from './io.js';

/** Where a remote command sends its requests: `--url`/`WEFT_URL` and `--token`/`WEFT_TOKEN`. */
export interface Remote {
  url: string;
  token: string | undefined;
}

/** The default API address, the same as `weft start`'s default listener. */
export const defaultUrl = 'http://127.0.0.1:8080';

interface ErrorReply {
  error?: { code?: string; message?: string; details?: { problems?: unknown; issues?: unknown } };
}

/** Formats `details.problems` / `details.issues` of a 400 as one line each, like the local validator. */
function detailLines(details: NonNullable<ErrorReply['error']>['details']): string[] {
  const lines: string[] = [];
  if (Array.isArray(details?.problems)) {
    for (const p of details.problems as Record<string, unknown>[]) {
      const where = typeof p.path === 'string' && p.path !== '' ? `${p.path}: ` : '';
      lines.push(`${p.file ?? ''}:${p.line ?? '?'}:${p.column ?? '?'}: ${where}${p.message ?? ''}`);
    }
  }
  if (Array.isArray(details?.issues)) {
    for (const i of details.issues as Record<string, unknown>[])
      lines.push(`${i.path ?? ''}: ${i.message ?? ''}`);
  }
  return lines;
}

/**
 * Calls the Weft API and returns the parsed JSON reply. A non-2xx reply becomes a CliError
 * carrying the server's own message (and problem lines), so the user sees what the server said.
 *
 * @example const { runs } = await callApi<{ runs: Run[] }>(remote, { method: 'GET', path: '/api/runs', query: { limit: '20' } });
 */
export async function callApi<T>(
  remote: Remote,
  req: {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    path: string;
    query?: Record<string, string | undefined>;
    body?: unknown;
  },
): Promise<T> {
  const url = new URL(req.path, remote.url.endsWith('/') ? remote.url : `${remote.url}/`);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (remote.token) headers.authorization = `Bearer ${remote.token}`;
  if (req.body !== undefined) headers['content-type'] = 'application/json';

  let res: Response;
  try {
    res = await fetch(url, {
      method: req.method,
      headers,
      ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    });
  } catch (err) {
    const reason = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new CliError(`cannot reach Weft at ${remote.url}: ${reason}`);
  }
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page, say): report the status with the start of the text.
  }
  if (!res.ok) {
    const error = (parsed as ErrorReply | null)?.error;
    const message = error?.message ?? (text.slice(0, 200) || res.statusText);
    const hint = res.status === 401 && !remote.token ? ' (set --token or WEFT_TOKEN)' : '';
    const details = detailLines(error?.details);
    // With a problem list the lines say it all (the message repeats them).
    const head = `${res.status} ${error?.code ?? 'error'}${details.length > 0 ? '' : `: ${message}${hint}`}`;
    throw new CliError([head, ...details].join('\n'));
  }
  return parsed as T;
}
