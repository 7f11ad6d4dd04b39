import type { Command } from 'commander';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { CliError, parseJsonOption, readInputFile } from './io.js';
import { printJson } from './output.js';

/** `weft events send`. */
export function registerEventCommands(program: Command, ctx: CliContext): void {
  const events = program.command('events').description('send events to flows');

  events
    .command('send')
    .description('send a manual event to a flow; prints the event and run ids')
    .argument('<flow>', 'flow name')
    .option('--data <json>', 'the payload as JSON (event.body)')
    .option('--file <path>', 'read the JSON payload from this file')
    .option('--dedupe-key <key>', 'a repeat of this key for the same flow is dropped')
    .action(
      async (flow: string, opts: { data?: string; file?: string; dedupeKey?: string }, cmd: Command) => {
        if (opts.data !== undefined && opts.file !== undefined)
          throw new CliError('give --data or --file, not both');
        let payload: unknown = null;
        if (opts.data !== undefined) payload = parseJsonOption(opts.data, '--data');
        if (opts.file !== undefined)
          payload = parseJsonOption(await readInputFile(ctx.io, opts.file), opts.file);
        const reply = await callApi(ctx.remote(cmd), {
          method: 'POST',
          path: '/api/events',
          body: { flow, payload, ...(opts.dedupeKey === undefined ? {} : { dedupeKey: opts.dedupeKey }) },
        });
        printJson(ctx.io, reply);
      },
    );
}
