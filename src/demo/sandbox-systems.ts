import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type SandboxFleet,
  type SandboxSystemName,
  sandboxSystems,
  startSandboxFleet,
} from '../../sandbox/fleet.js';
import type { ConnectionSpec } from '../connections/spec.js';
import { findConnector } from '../connectors/catalog.js';

/**
 * The seven sandbox Systems wired for Weft: one Connection per System (named after it) and, once
 * Weft listens, each System's webhooks pointed at `/hooks/connections/<system>/<trigger>`, signed
 * with the secret the Connection verifies. Used by `weft start --demo` and `weft sandbox`.
 */
export interface SandboxSystems {
  fleet: SandboxFleet;
  /** Connection specs for the sandboxes; secrets are the sandboxes' own, not real credentials. */
  specs: ConnectionSpec[];
  /** Points every System's webhooks at this Weft. */
  attach(weftUrl: string): void;
  /** One line per System: name, URL, webhook target. */
  describe(): string[];
  close(): Promise<void>;
}

export interface SandboxSystemsOptions {
  /** Holds the sandboxes' SQLite files and the webhook signing secret, so both survive restarts. */
  dir: string;
  host?: string;
  basePort: number;
}

/** Settings only the sandboxes need: a full backfill on the first poll. */
const demoSettings: Partial<Record<SandboxSystemName, Record<string, string>>> = {
  salesforce: { pollFrom: '1970-01-01T00:00:00Z' },
};

/**
 * Limits only the sandboxes warrant. NetSuite governs requests in flight (15 in the sandbox), not a
 * rate: the connector's default pace of 10 requests/s would stretch the demo's initial sync of ~500
 * accounts to almost a minute, so the demo raises the pace as NetSuite's docs advise for bulk
 * loads, and `flows/demo/crm-accounts-to-erp.yaml` caps its runs at 10 at once to stay under 15.
 */
const demoLimits: Partial<Record<SandboxSystemName, ConnectionSpec['limits']>> = {
  netsuite: { requestsPerSecond: 50, burst: 15 },
};

/**
 * Starts the sandboxes seeded with the fictional business and returns their Connections.
 *
 * @example
 * const systems = await startSandboxSystems({ dir: '.weft/sandbox', basePort: 9101 });
 * for (const spec of systems.specs) await registry.put({ spec, actor: 'system:demo', now });
 * systems.attach(weft.url);
 */
export async function startSandboxSystems(opts: SandboxSystemsOptions): Promise<SandboxSystems> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const secret = webhookSecret(opts.dir);
  const fleet = await startSandboxFleet({
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    basePort: opts.basePort,
    dataDir: opts.dir,
    business: true,
  });
  const targets = new Map<SandboxSystemName, string>();
  const specs: ConnectionSpec[] = [];
  for (const system of sandboxSystems) {
    const sandbox = fleet.sandboxes[system];
    if (sandbox === undefined) continue;
    const { baseUrl, auth, settings } = sandbox.connection;
    specs.push({
      name: system,
      connector: system,
      baseUrl,
      auth,
      settings: { ...settings, ...demoSettings[system] },
      ...(demoLimits[system] !== undefined ? { limits: demoLimits[system] } : {}),
      webhookSecrets: [secret],
    });
  }
  return {
    fleet,
    specs,
    attach(weftUrl) {
      for (const system of sandboxSystems) {
        const sandbox = fleet.sandboxes[system];
        const trigger = Object.keys(findConnector(system)?.connector.webhookTriggers ?? {})[0];
        if (sandbox === undefined || trigger === undefined) continue;
        const url = `${weftUrl}/hooks/connections/${system}/${trigger}`;
        sandbox.kit.webhooks.targets = [{ url, secret }];
        targets.set(system, url);
      }
    },
    describe() {
      return sandboxSystems.flatMap((system) => {
        const sandbox = fleet.sandboxes[system];
        if (sandbox === undefined) return [];
        const hook = targets.get(system);
        return [`${system.padEnd(11)} ${sandbox.url}${hook ? `  → webhooks to ${hook}` : ''}`];
      });
    },
    close: () => fleet.close(),
  };
}

/** One signing secret per sandbox directory, created on first use. */
function webhookSecret(dir: string): string {
  const file = path.join(dir, 'webhook-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const secret = `whsec_${randomBytes(24).toString('hex')}`;
    fs.writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}
