import { WeftError } from '../contract/errors.js';

/**
 * Turns an HTTP response status into an error with its retry verdict. One table for every
 * connector, so "is this worth retrying" is decided the same way everywhere.
 */
export function errorFromResponse(opts: {
  status: number;
  headers: Headers;
  method: string;
  target: string;
  bodyExcerpt: string;
  now: number;
}): WeftError {
  const { status } = opts;
  const retryAfterMs = parseRetryAfter(opts.headers.get('retry-after'), opts.now);
  const details = { status, method: opts.method, target: opts.target, body: opts.bodyExcerpt };
  const message = `${opts.method} ${opts.target} answered HTTP ${status}`;
  if (status === 429) {
    return new WeftError({ code: 'rate_limited', message, retryable: true, retryAfterMs, details });
  }
  if (status === 408)
    return new WeftError({ code: 'timeout', message, retryable: true, retryAfterMs, details });
  if (status === 401) return new WeftError({ code: 'auth', message, details });
  if (status === 403) return new WeftError({ code: 'forbidden', message, details });
  if (status === 404) return new WeftError({ code: 'not_found', message, details });
  if (status === 409) return new WeftError({ code: 'conflict', message, details });
  if (status === 400 || status === 422) return new WeftError({ code: 'invalid_input', message, details });
  if (status >= 500) {
    // 501 means the target will never support this call; every other 5xx may pass.
    const retryable = status !== 501;
    return new WeftError({ code: 'unavailable', message, retryable, retryAfterMs, details });
  }
  return new WeftError({ code: 'http_error', message, details });
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A failure before any response: refused connection, reset, DNS, or our own timeout. */
export function errorFromNetwork(opts: {
  err: unknown;
  method: string;
  target: string;
  timeoutMs: number;
}): WeftError {
  const { err, method, target } = opts;
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new WeftError({
      code: 'timeout',
      message: `${method} ${target} did not answer within ${opts.timeoutMs} ms`,
      retryable: true,
      cause: err,
      details: { method, target },
    });
  }
  const causeCode =
    err instanceof Error && err.cause instanceof Error
      ? (err.cause as NodeJS.ErrnoException).code
      : undefined;
  return new WeftError({
    code: 'network',
    message: `${method} ${target} failed: ${causeCode ?? (err instanceof Error ? err.message : String(err))}`,
    retryable: true,
    cause: err,
    details: { method, target, ...(causeCode ? { errno: causeCode } : {}) },
  });
}
