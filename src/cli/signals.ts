import type { CliContext } from './context.js';

/**
 * Keeps a long-running command alive until SIGINT/SIGTERM, then runs `stop` once. Whatever else
 * holds the event loop does not matter: a worker's timers are unref'd, and while the database is
 * down (every connection lost, a reconnect pending) nothing else would, so Node would exit
 * mid-outage.
 */
export async function runUntilSignal(ctx: CliContext, stop: () => Promise<void>): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      clearInterval(keepAlive);
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      ctx.io.err(`${signal}: stopping…\n`);
      stop().then(resolve, (err: unknown) => {
        ctx.io.err(`error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
