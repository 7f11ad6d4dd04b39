import type { Command } from 'commander';
import { envSecrets } from '../config.js';
import type { ConnectionTestResult, ConnectionVerdict } from '../connections/probe.js';
import type { ConnectionView } from '../connections/spec.js';
import { ConnectionSourceError, parseConnectionSource } from '../connections/yaml.js';
import { loadConnectorCatalog } from '../connectors/load-catalog.js';
import { formatProblem } from '../flow/parse.js';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { CliError, readInputFile } from './io.js';
import { printJson, printTable, time } from './output.js';

/** How a verdict reads on a terminal. Exhaustive: a new verdict fails to build until named. */
const verdictLabels: Record<ConnectionVerdict, string> = {
  ok: 'ok',
  auth_failed: 'auth failed',
  unreachable: 'unreachable',
  rate_limited: 'rate limited',
  error: 'error',
};

/** One line: `ok: stripe-main (stripe): customers.list answered in 42 ms`. */
export function formatVerdict(r: ConnectionTestResult): string {
  const label = r.verdict === 'error' && r.code ? `error (${r.code})` : verdictLabels[r.verdict];
  return `${label}: ${r.name} (${r.connector}): ${r.message}`;
}

const path = (name: string) => `/api/connections/${encodeURIComponent(name)}`;

/** `weft connections list|get|apply|delete|test`: Connections through the API. */
export function registerConnectionCommands(program: Command, ctx: CliContext): void {
  const connections = program
    .command('connections')
    .description('manage Connections: configured connectors with encrypted credentials');

  connections
    .command('list')
    .description('list Connections (never their secrets)')
    .action(async (_opts: unknown, cmd: Command) => {
      const reply = await callApi<{ connections: ConnectionView[] }>(ctx.remote(cmd), {
        method: 'GET',
        path: '/api/connections',
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      printTable(
        ctx.io,
        reply.connections.map((c) => ({
          name: c.name,
          connector: c.connector,
          baseUrl: c.baseUrl ?? '(default)',
          auth: `${c.auth.kind} (${c.auth.fields.join(', ')})`,
          webhookSecrets: c.webhookSecrets,
          updated: time(c.updatedAt),
        })),
        ['name', 'connector', 'baseUrl', 'auth', 'webhookSecrets', 'updated'],
      );
    });

  connections
    .command('get')
    .description('show one Connection (which secrets are set, never their values)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      printJson(ctx.io, await callApi<ConnectionView>(ctx.remote(cmd), { method: 'GET', path: path(name) }));
    });

  connections
    .command('apply')
    .description('create or replace a Connection from a YAML file (needs an admin token)')
    .requiredOption(
      '-f, --file <file>',
      'the Connection file; { secret: NAME } reads WEFT_SECRET_<NAME> here',
    )
    .action(async (opts: { file: string }, cmd: Command) => {
      const source = await readInputFile(ctx.io, opts.file);
      let reading: ReturnType<typeof parseConnectionSource>;
      try {
        // Secret references resolve in this environment: the secrets travel once, to be sealed.
        reading = parseConnectionSource({
          source,
          file: opts.file,
          secrets: envSecrets(ctx.io.env),
          catalog: await loadConnectorCatalog(),
        });
      } catch (err) {
        if (err instanceof ConnectionSourceError) throw new CliError(err.message);
        throw err;
      }
      for (const w of reading.warnings) ctx.io.err(`warning: ${formatProblem(w)}\n`);
      const { name, ...body } = reading.spec;
      const reply = await callApi<{ connection: ConnectionView; created: boolean; changed: boolean }>(
        ctx.remote(cmd),
        { method: 'PUT', path: path(name), body },
      );
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      const outcome = reply.created ? 'created' : reply.changed ? 'updated' : 'unchanged';
      ctx.io.out(`${outcome} connection '${name}' (${reply.connection.connector})\n`);
    });

  connections
    .command('delete')
    .description('delete a Connection (needs an admin token)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const reply = await callApi<ConnectionView>(ctx.remote(cmd), { method: 'DELETE', path: path(name) });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      ctx.io.out(`deleted connection '${reply.name}'\n`);
    });

  connections
    .command('test')
    .description("check auth and reachability with the connector's probe read; exit 1 unless ok")
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const result = await callApi<ConnectionTestResult>(ctx.remote(cmd), {
        method: 'POST',
        path: `${path(name)}/test`,
      });
      if (ctx.json(cmd)) printJson(ctx.io, result);
      else if (result.ok) ctx.io.out(`${formatVerdict(result)}\n`);
      if (!result.ok)
        throw new CliError(ctx.json(cmd) ? `${verdictLabels[result.verdict]}` : formatVerdict(result));
    });
}
