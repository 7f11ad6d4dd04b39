/**
 * The one error type that crosses module boundaries. Every failure carries its verdict
 * (`retryable`, `retryAfterMs`) so retry decisions are data, never string matching.
 *
 * @example
 * throw new WeftError({ code: 'rate_limited', message: 'HTTP 429 from target', retryable: true, retryAfterMs: 2000 });
 */
export const errorCodes = [
  'invalid_input',
  'not_found',
  'conflict',
  'unauthorized',
  'forbidden',
  'payload_too_large',
  'auth',
  'rate_limited',
  'unavailable',
  'timeout',
  'network',
  'http_error',
  'expression_error',
  'expression_timeout',
  'policy_denied',
  'lease_lost',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface WeftErrorOptions {
  code: ErrorCode;
  message: string;
  retryable?: boolean;
  retryAfterMs?: number;
  cause?: unknown;
  /** Structured, secret-free facts for the user: file, line, field, status… */
  details?: Record<string, unknown>;
}

export class WeftError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(opts: WeftErrorOptions) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WeftError';
    this.code = opts.code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details ?? {};
  }

  /** A plain, secret-free shape for journals, exceptions and API bodies. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
      ...(this.cause === undefined ? {} : { cause: describeCause(this.cause) }),
    };
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: string;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}

/** Wraps anything thrown into a WeftError; unknown failures are treated as internal and not retryable. */
export function toWeftError(err: unknown): WeftError {
  if (err instanceof WeftError) return err;
  return new WeftError({
    code: 'internal',
    message: err instanceof Error ? err.message : String(err),
    cause: err,
  });
}
