import type { Command } from 'commander';
import { defaultUrl, type Remote } from './client.js';
import type { CliIo } from './io.js';

/** What every command group receives: the io, and how to read the global options. */
export interface CliContext {
  io: CliIo;
  /** `--url`/`WEFT_URL` and `--token`/`WEFT_TOKEN` of the command being run. */
  remote(cmd: Command): Remote;
  /** `--json`: print the raw reply instead of a table. */
  json(cmd: Command): boolean;
}

interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Builds the context; flags win over the environment. */
export function createCliContext(io: CliIo): CliContext {
  return {
    io,
    remote(cmd) {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      return {
        url: opts.url ?? (io.env.WEFT_URL || defaultUrl),
        token: opts.token ?? (io.env.WEFT_TOKEN || undefined),
      };
    },
    json: (cmd) => cmd.optsWithGlobals<GlobalOptions>().json === true,
  };
}
