/**
 * The `weft` command line. `bin/weft.js` calls {@link runCli}; tests call it in-process with
 * their own {@link CliIo}.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { WeftError } from '../contract/errors.js';
import { registerConnectionCommands } from './connections.js';
import { createCliContext } from './context.js';
import { registerDoctorCommand } from './doctor.js';
import { registerEventCommands } from './events.js';
import { registerExceptionCommands } from './exceptions.js';
import { registerFlowCommands } from './flows.js';
import { CliError, type CliIo } from './io.js';
import { registerMigrateCommand } from './migrate.js';
import { registerRunCommands } from './runs.js';
import { registerSandboxCommand } from './sandbox.js';
import { registerServeCommand, registerStartCommand, registerWorkCommand } from './start.js';
import { registerTokenCommands } from './tokens.js';

/** The process's own io. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  readFile: (path) => readFile(path, 'utf8'),
};

/** Builds the command tree; nothing runs until it is parsed. */
export function createProgram(io: CliIo): Command {
  const ctx = createCliContext(io);
  const program = new Command('weft')
    .description('Weft: durable flows between business systems and the AI that acts on them')
    .option('--url <url>', 'Weft API address (WEFT_URL, default http://127.0.0.1:8080)')
    .option('--token <token>', 'API token (WEFT_TOKEN)')
    .option('--json', 'print raw JSON instead of tables')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerStartCommand(program, ctx);
  registerServeCommand(program, ctx);
  registerWorkCommand(program, ctx);
  registerMigrateCommand(program, ctx);
  registerDoctorCommand(program, ctx);
  registerFlowCommands(program, ctx);
  registerEventCommands(program, ctx);
  registerRunCommands(program, ctx);
  registerExceptionCommands(program, ctx);
  registerTokenCommands(program, ctx);
  registerConnectionCommands(program, ctx);
  registerSandboxCommand(program, ctx);
  // Subcommands report usage errors through the same writers, and never call process.exit.
  const quiet = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    for (const sub of cmd.commands) quiet(sub);
  };
  quiet(program);
  return program;
}

/**
 * Runs the CLI and resolves with the exit code: 0 on success, 1 on a failure (printed as one
 * message: the server's error, a validation problem list, a usage error).
 *
 * @example process.exitCode = await runCli(process.argv);
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; usage errors were already printed.
      return err.exitCode;
    }
    if (err instanceof CliError) {
      io.err(`${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof WeftError) {
      io.err(`${err.code}: ${err.message}\n`);
      return 1;
    }
    io.err(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
