import type { Command } from 'commander';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { parseJsonOption } from './io.js';
import { printJson, printTable, time } from './output.js';

interface ExceptionRow {
  id: string;
  flowName: string;
  stepId: string;
  status: string;
  error: { code: string; message: string };
  retries: number;
  createdAt: number;
}

/** `weft exceptions list|show|retry|resolve|retry-all`: the error queue. */
export function registerExceptionCommands(program: Command, ctx: CliContext): void {
  const exceptions = program.command('exceptions').description('work the error queue');

  exceptions
    .command('list')
    .description('list exceptions, newest first')
    .option('--status <status>', 'open, retrying or resolved')
    .option('--flow <name>', 'only this flow')
    .option('--code <code>', 'only this error code')
    .option('--step <id>', 'only this step')
    .option('--limit <n>', 'how many', '50')
    .action(
      async (
        opts: { status?: string; flow?: string; code?: string; step?: string; limit: string },
        cmd: Command,
      ) => {
        const reply = await callApi<{ exceptions: ExceptionRow[] }>(ctx.remote(cmd), {
          method: 'GET',
          path: '/api/exceptions',
          query: {
            status: opts.status,
            flow: opts.flow,
            code: opts.code,
            step: opts.step,
            limit: opts.limit,
          },
        });
        if (ctx.json(cmd)) return printJson(ctx.io, reply);
        printTable(
          ctx.io,
          reply.exceptions.map((e) => ({
            id: e.id,
            flow: e.flowName,
            step: e.stepId,
            status: e.status,
            code: e.error.code,
            message: e.error.message,
            retries: e.retries,
            created: time(e.createdAt),
          })),
          ['id', 'flow', 'step', 'status', 'code', 'message', 'retries', 'created'],
        );
      },
    );

  exceptions
    .command('show')
    .description('one exception (JSON)')
    .argument('<id>', 'exception id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const path = `/api/exceptions/${encodeURIComponent(id)}`;
      printJson(ctx.io, await callApi(ctx.remote(cmd), { method: 'GET', path }));
    });

  exceptions
    .command('retry')
    .description('re-queue the run at the failed step')
    .argument('<id>', 'exception id')
    .option('--input <json>', "replace the failed step's input for this retry")
    .action(async (id: string, opts: { input?: string }, cmd: Command) => {
      const body = opts.input === undefined ? {} : { input: parseJsonOption(opts.input, '--input') };
      const path = `/api/exceptions/${encodeURIComponent(id)}/retry`;
      printJson(ctx.io, await callApi(ctx.remote(cmd), { method: 'POST', path, body }));
    });

  exceptions
    .command('resolve')
    .description('close an exception without retrying it')
    .argument('<id>', 'exception id')
    .requiredOption('--note <text>', 'why it is resolved (kept in the audit log)')
    .action(async (id: string, opts: { note: string }, cmd: Command) => {
      const path = `/api/exceptions/${encodeURIComponent(id)}/resolve`;
      printJson(ctx.io, await callApi(ctx.remote(cmd), { method: 'POST', path, body: { note: opts.note } }));
    });

  exceptions
    .command('retry-all')
    .description('retry every open exception matching the filter')
    .option('--flow <name>', 'only this flow')
    .option('--code <code>', 'only this error code')
    .option('--step <id>', 'only this step')
    .action(async (opts: { flow?: string; code?: string; step?: string }, cmd: Command) => {
      const filter = {
        ...(opts.flow === undefined ? {} : { flow: opts.flow }),
        ...(opts.code === undefined ? {} : { code: opts.code }),
        ...(opts.step === undefined ? {} : { step: opts.step }),
      };
      const reply = await callApi<{ retried: number }>(ctx.remote(cmd), {
        method: 'POST',
        path: '/api/exceptions/retry',
        body: { filter },
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      ctx.io.out(`retried ${reply.retried} exception(s)\n`);
    });
}
