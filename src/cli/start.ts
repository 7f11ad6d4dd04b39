import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { type Roles, type RunningWeft, startWeft } from '../main.js';
import type { CliContext } from './context.js';
import { runUntilSignal } from './signals.js';

interface RoleFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  flows?: string;
  connections?: string;
  demo?: boolean;
  concurrency?: string;
  healthPort?: string;
}

/**
 * `weft start`: every role in one process — embedded on SQLite, or one member of a cluster when
 * `WEFT_DATABASE_URL` is set. Flags win over `WEFT_*` variables.
 */
export function registerStartCommand(program: Command, ctx: CliContext): void {
  program
    .command('start')
    .description('run Weft: API, webhooks, scheduler and worker in one process')
    .option('--host <host>', 'listen on this address (WEFT_HOST)')
    .option('--port <port>', 'listen on this port, 0 for any free one (WEFT_PORT)')
    .option('--data-dir <dir>', 'SQLite database directory (WEFT_DATA_DIR)')
    .option('--flows <dir>', 'deploy every *.yaml in this directory at start (WEFT_FLOWS_DIR)')
    .option(
      '--connections <dir>',
      'apply every *.yaml Connection in this directory at start (WEFT_CONNECTIONS_DIR)',
    )
    .option('--demo', 'also start the seven sandbox Systems with their Connections and the demo flows')
    .action((flags: RoleFlags) => runRoles(ctx, flags, { serve: true, work: true }));
}

/**
 * `weft serve`: cluster mode's front: API, webhooks and scheduler; runs go to the queue for
 * `weft work` processes. Needs `WEFT_DATABASE_URL`.
 */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('cluster mode: API, webhooks and scheduler (needs WEFT_DATABASE_URL)')
    .option('--host <host>', 'listen on this address (WEFT_HOST)')
    .option('--port <port>', 'listen on this port, 0 for any free one (WEFT_PORT)')
    .option('--flows <dir>', 'deploy every *.yaml in this directory at start (WEFT_FLOWS_DIR)')
    .option(
      '--connections <dir>',
      'apply every *.yaml Connection in this directory at start (WEFT_CONNECTIONS_DIR)',
    )
    .option('--demo', 'also start the seven sandbox Systems with their Connections and the demo flows')
    .action((flags: RoleFlags) => runRoles(ctx, flags, { serve: true, work: false }));
}

/** `weft work`: cluster mode's workers: claims and executes runs; no HTTP listener. */
export function registerWorkCommand(program: Command, ctx: CliContext): void {
  program
    .command('work')
    .description('cluster mode: a worker that claims and executes runs (needs WEFT_DATABASE_URL)')
    .option('--concurrency <n>', 'runs executed at once (WEFT_WORKER_CONCURRENCY)')
    .option('--health-port <port>', 'serve GET /health and /health/ready on this port (WEFT_HEALTH_PORT)')
    .action((flags: RoleFlags) => runRoles(ctx, flags, { serve: false, work: true }));
}

/**
 * Starts the roles and runs until SIGINT/SIGTERM, then stops cleanly: in-flight runs keep their
 * journal, and their leases are taken over (at the next start in embedded mode, by any worker
 * once they expire in cluster mode).
 */
async function runRoles(ctx: CliContext, flags: RoleFlags, roles: Roles): Promise<void> {
  const config: Config = loadConfig({
    env: ctx.io.env,
    flags: {
      host: flags.host,
      port: flags.port,
      dataDir: flags.dataDir,
      flowsDir: flags.flows,
      connectionsDir: flags.connections,
      workerConcurrency: flags.concurrency,
      healthPort: flags.healthPort,
    },
  });
  const weft: RunningWeft = await startWeft(config, {
    roles,
    demo: flags.demo === true,
    announce: (line) => ctx.io.out(`${line}\n`),
  });
  await runUntilSignal(ctx, () => weft.stop());
}
