import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startWeft } from '../main.js';
import type { CliContext } from './context.js';

interface StartFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  flows?: string;
  demo?: boolean;
}

/**
 * `weft start`: the embedded server (API, webhooks, scheduler and a worker in one process).
 * Flags win over `WEFT_*` variables. Runs until SIGINT/SIGTERM, then stops cleanly: in-flight
 * runs keep their journal, and their leases are taken over at the next start.
 */
export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('run Weft: API, webhooks, scheduler and worker in one process')
    .option('--host <host>', 'listen on this address (WEFT_HOST)')
    .option('--port <port>', 'listen on this port, 0 for any free one (WEFT_PORT)')
    .option('--data-dir <dir>', 'SQLite database directory (WEFT_DATA_DIR)')
    .option('--flows <dir>', 'deploy every *.yaml in this directory at start (WEFT_FLOWS_DIR)')
    .option('--demo', 'also deploy the sample lead-router flow')
    .action(async (flags: StartFlags) => {
      const config = loadConfig({
        env: ctx.io.env,
        flags: { host: flags.host, port: flags.port, dataDir: flags.dataDir, flowsDir: flags.flows },
      });
      const weft = await startWeft(config, {
        demo: flags.demo === true,
        announce: (line) => ctx.io.out(`${line}\n`),
      });
      await new Promise<void>((resolve) => {
        const shutdown = (signal: NodeJS.Signals) => {
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
          ctx.io.err(`${signal}: stopping…\n`);
          weft.stop().then(resolve, (err: unknown) => {
            ctx.io.err(`error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
            resolve();
          });
        };
        process.on('SIGINT', shutdown);
        process.on('SIGTERM', shutdown);
      });
    });
}
