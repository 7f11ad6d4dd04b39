import type { Command } from 'commander';
import type { RunStatus } from '../store/records.js';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { printJson, printTable, time } from './output.js';

interface RunRow {
  id: string;
  flowName: string;
  status: RunStatus;
  createdAt: number;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
}

/** `weft runs list|show`. */
export function registerRunCommands(program: Command, ctx: CliContext): void {
  const runs = program.command('runs').description('inspect runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--flow <name>', 'only this flow')
    .option('--status <status>', 'queued, running, waiting, succeeded or failed')
    .option('--limit <n>', 'how many', '20')
    .option('--before <id>', 'older than this run id')
    .action(
      async (opts: { flow?: string; status?: string; limit: string; before?: string }, cmd: Command) => {
        const reply = await callApi<{ runs: RunRow[] }>(ctx.remote(cmd), {
          method: 'GET',
          path: '/api/runs',
          query: { flow: opts.flow, status: opts.status, limit: opts.limit, before: opts.before },
        });
        if (ctx.json(cmd)) return printJson(ctx.io, reply);
        printTable(
          ctx.io,
          reply.runs.map((r) => ({
            id: r.id,
            flow: r.flowName,
            status: r.status,
            created: time(r.createdAt),
            finished: time(r.finishedAt),
            error: r.error ? `${r.error.code}: ${r.error.message}` : null,
          })),
          ['id', 'flow', 'status', 'created', 'finished', 'error'],
        );
      },
    );

  runs
    .command('show')
    .description('a run with its step journal and write ledger (JSON)')
    .argument('<id>', 'run id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      printJson(
        ctx.io,
        await callApi(ctx.remote(cmd), { method: 'GET', path: `/api/runs/${encodeURIComponent(id)}` }),
      );
    });
}
