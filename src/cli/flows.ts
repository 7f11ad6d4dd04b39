import type { Command } from 'commander';
import { FlowSourceError, formatProblem } from '../flow/parse.js';
import { checkFlowSource } from '../flow/validate.js';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { CliError, readInputFile } from './io.js';
import { printJson, printTable, time } from './output.js';

interface FlowRow {
  name: string;
  currentVersion: number;
  triggerKind: string;
  updatedAt: number;
}

/** `weft flows validate|deploy|list|show`. */
export function registerFlowCommands(program: Command, ctx: CliContext): void {
  const flows = program.command('flows').description('validate, deploy and list flows');

  flows
    .command('validate')
    .description('check a flow file locally (no server needed); exit 1 on problems')
    .argument('<file>', 'flow YAML')
    .action(async (file: string) => {
      const source = await readInputFile(ctx.io, file);
      let name: string;
      try {
        // The same parse + semantic checks the server runs on deploy, without a server.
        name = checkFlowSource(source, file).name;
      } catch (err) {
        if (!(err instanceof FlowSourceError)) throw err;
        for (const p of err.problems) ctx.io.err(`${formatProblem(p)}\n`);
        throw new CliError(`${file}: ${err.problems.length} problem(s)`);
      }
      ctx.io.out(`${file}: ok (flow '${name}')\n`);
    });

  flows
    .command('deploy')
    .description('deploy a flow file; publishes a new version unless it is unchanged')
    .argument('<file>', 'flow YAML')
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const source = await readInputFile(ctx.io, file);
      const reply = await callApi<{
        created: boolean;
        version: { flowName: string; version: number; id: string };
      }>(ctx.remote(cmd), { method: 'POST', path: '/api/flows', body: { source, file } });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      const { flowName, version, id } = reply.version;
      ctx.io.out(
        reply.created
          ? `deployed ${flowName} v${version} (${id})\n`
          : `${flowName} is unchanged (v${version}); nothing deployed\n`,
      );
    });

  flows
    .command('list')
    .description('list deployed flows')
    .action(async (_opts: unknown, cmd: Command) => {
      const reply = await callApi<{ flows: FlowRow[] }>(ctx.remote(cmd), {
        method: 'GET',
        path: '/api/flows',
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      printTable(
        ctx.io,
        reply.flows.map((f) => ({
          name: f.name,
          version: f.currentVersion,
          trigger: f.triggerKind,
          updated: time(f.updatedAt),
        })),
        ['name', 'version', 'trigger', 'updated'],
      );
    });

  flows
    .command('show')
    .description('a flow with its current source and version history (JSON)')
    .argument('<name>', 'flow name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      printJson(
        ctx.io,
        await callApi(ctx.remote(cmd), { method: 'GET', path: `/api/flows/${encodeURIComponent(name)}` }),
      );
    });
}
