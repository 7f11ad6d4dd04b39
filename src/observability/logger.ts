import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Keys whose values are secrets wherever they appear: credentials of every auth kind, webhook
 * secrets, and API keys in whatever object a caller logs.
 */
const secretKeys = [
  'password',
  'secret',
  'token',
  'apiKey',
  'clientSecret',
  'refreshToken',
  'accessToken',
  'consumerSecret',
  'tokenSecret',
  'webhookSecrets',
  'authorization',
];

/**
 * Redaction paths match one level each, so every key is listed at the top and two levels down
 * (`{ spec: { connection: { auth } } }`): deep enough for the objects Weft logs. `auth.*` covers
 * every field of a Connection's credentials, including ones added later (a webhook URL); the censor
 * below lets `kind` through, which says which credential without being one.
 */
const nestings = ['', '*.', '*.*.'];
const redactPaths = [
  ...nestings.flatMap((n) => secretKeys.map((k) => `${n}${k}`)),
  ...nestings.map((n) => `${n}auth.*`),
  ...nestings.flatMap((n) =>
    ['authorization', 'Authorization', 'cookie', 'Cookie'].map((h) => `${n}headers.${h}`),
  ),
];

/** Censors every redacted value but a credential's `kind`. */
function censor(value: unknown, path: string[]): unknown {
  return path.length >= 2 && path[path.length - 2] === 'auth' && path[path.length - 1] === 'kind'
    ? value
    : '[redacted]';
}

export interface LoggerOptions {
  level: string;
  /** Tests and CLIs log synchronously so nothing is lost on exit. */
  sync?: boolean;
}

/** The one logger factory; everything else receives a child of it through Deps. */
export function createLogger(opts: LoggerOptions): Logger {
  return createLoggerTo(opts, pino.destination({ dest: 1, sync: opts.sync ?? false }));
}

/** The same logger, writing to `destination` (tests read what would be logged). */
export function createLoggerTo(opts: LoggerOptions, destination: pino.DestinationStream): Logger {
  return pino(
    { level: opts.level, redact: { paths: redactPaths, censor }, base: { svc: 'weft' } },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
