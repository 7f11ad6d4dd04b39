import type { Command } from 'commander';
import { callApi } from './client.js';
import type { CliContext } from './context.js';
import { printJson, printTable, time } from './output.js';

interface TokenRow {
  id: string;
  name: string;
  role: string;
  createdAt: number;
  revokedAt: number | null;
}

/** `weft tokens create|list|revoke`: API tokens (admin only). */
export function registerTokenCommands(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('manage API tokens (needs an admin token)');

  tokens
    .command('create')
    .description('create a token and print it once')
    .argument('<name>', 'unique among live tokens; it is the actor in the audit log')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .action(async (name: string, opts: { role: string }, cmd: Command) => {
      const reply = await callApi<TokenRow & { token: string }>(ctx.remote(cmd), {
        method: 'POST',
        path: '/api/tokens',
        body: { name, role: opts.role },
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      ctx.io.out(`${reply.token}\n`);
      ctx.io.err(`token ${reply.id} '${reply.name}' (${reply.role}); shown only now, store it safely\n`);
    });

  tokens
    .command('list')
    .description('list tokens, revoked ones too, newest first')
    .action(async (_opts: unknown, cmd: Command) => {
      const reply = await callApi<{ tokens: TokenRow[] }>(ctx.remote(cmd), {
        method: 'GET',
        path: '/api/tokens',
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      printTable(
        ctx.io,
        reply.tokens.map((t) => ({
          id: t.id,
          name: t.name,
          role: t.role,
          created: time(t.createdAt),
          revoked: t.revokedAt === null ? '' : time(t.revokedAt),
        })),
        ['id', 'name', 'role', 'created', 'revoked'],
      );
    });

  tokens
    .command('revoke')
    .description('revoke a token; it stops working at once')
    .argument('<id>', 'token id (see `weft tokens list`)')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const reply = await callApi<TokenRow>(ctx.remote(cmd), {
        method: 'DELETE',
        path: `/api/tokens/${encodeURIComponent(id)}`,
      });
      if (ctx.json(cmd)) return printJson(ctx.io, reply);
      ctx.io.out(`revoked ${reply.id} '${reply.name}'\n`);
    });
}
