import { pino } from 'pino';

export type Logger = pino.Logger;

/** Paths whose values never reach a log line, whatever the caller passes. */
const redactPaths = [
  'authorization',
  'password',
  'secret',
  'token',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.apiKey',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

export interface LoggerOptions {
  level: string;
  /** Tests and CLIs log synchronously so nothing is lost on exit. */
  sync?: boolean;
}

/** The one logger factory; everything else receives a child of it through Deps. */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    { level: opts.level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { svc: 'weft' } },
    pino.destination({ dest: 1, sync: opts.sync ?? false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
