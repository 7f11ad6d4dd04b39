import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadConfig } from '../config.js';
import type { SandboxSystems } from '../demo/sandbox-systems.js';
import type { CliContext } from './context.js';
import { runUntilSignal } from './signals.js';

export interface SandboxFlags {
  port?: string;
  dir?: string;
  weftUrl?: string;
  connectionsOut?: string;
}

/**
 * `weft sandbox`: the seven SaaS Systems as local servers, seeded with the fictional business,
 * for a Weft started elsewhere (`weft start --connections <dir>`). `weft start --demo` starts the
 * same sandboxes in-process and needs none of this.
 */
export function registerSandboxCommand(program: Command, ctx: CliContext): void {
  program
    .command('sandbox')
    .description('run local HubSpot, Salesforce, NetSuite, Stripe, Zendesk, ServiceNow and Slack sandboxes')
    .option(
      '--port <port>',
      'first port; the seven Systems take it and the six after it (WEFT_SANDBOX_PORT, 9101)',
    )
    .option('--dir <dir>', 'where the sandboxes keep their SQLite files (default <data dir>/sandbox)')
    .option(
      '--weft-url <url>',
      "send the Systems' webhooks to this Weft (/hooks/connections/<system>/<trigger>)",
    )
    .option(
      '--connections-out <dir>',
      'write one Connection YAML per System here, for `weft start --connections`',
    )
    .action(async (flags: SandboxFlags) => {
      const systems = await openSandboxes(ctx, flags);
      await runUntilSignal(ctx, () => systems.close());
    });
}

/** Starts the sandboxes, wires their webhooks and writes their Connections as `flags` ask. */
export async function openSandboxes(ctx: CliContext, flags: SandboxFlags): Promise<SandboxSystems> {
  const config = loadConfig({ env: ctx.io.env, flags: { sandboxPort: flags.port } });
  // Loaded on demand: every other command (`weft start` included) stays without the sandboxes.
  const { startSandboxSystems } = await import('../demo/sandbox-systems.js');
  const systems = await startSandboxSystems({
    dir: flags.dir ?? path.join(config.dataDir, 'sandbox'),
    basePort: config.sandboxPort,
  });
  if (flags.weftUrl !== undefined) systems.attach(flags.weftUrl.replace(/\/$/, ''));
  if (flags.connectionsOut !== undefined) {
    fs.mkdirSync(flags.connectionsOut, { recursive: true });
    for (const spec of systems.specs) {
      const header = '# Sandbox credentials from `weft sandbox`: local test values, not real secrets.\n';
      fs.writeFileSync(path.join(flags.connectionsOut, `${spec.name}.yaml`), header + stringify(spec));
    }
  }
  ctx.io.out('Sandbox Systems (seeded with the fictional business Loomwise):\n');
  for (const line of systems.describe()) ctx.io.out(`  ${line}\n`);
  if (flags.connectionsOut !== undefined) {
    ctx.io.out(
      `Connections written to ${flags.connectionsOut}: weft start --connections ${flags.connectionsOut}\n`,
    );
  }
  return systems;
}
