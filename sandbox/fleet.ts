import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxServerOptions, SystemSandbox } from './common/server.js';
import type { WebhookTarget } from './common/webhook-sender.js';
import { startHubSpotSandbox } from './hubspot/index.js';
import { startNetSuiteSandbox } from './netsuite/index.js';
import { startSalesforceSandbox } from './salesforce/index.js';
import type { SystemName } from './seed/messy.js';
import { startServiceNowSandbox } from './servicenow/index.js';
import { startSlackSandbox } from './slack/index.js';
import { startStripeSandbox } from './stripe/index.js';
import { startZendeskSandbox } from './zendesk/index.js';

/** The seven SaaS Systems `weft sandbox` plays, in port order. */
export const sandboxSystems = [
  'hubspot',
  'salesforce',
  'netsuite',
  'stripe',
  'zendesk',
  'servicenow',
  'slack',
] as const satisfies readonly SystemName[];
export type SandboxSystemName = (typeof sandboxSystems)[number];

const starters: Record<SandboxSystemName, (opts: SandboxServerOptions) => Promise<SystemSandbox>> = {
  hubspot: startHubSpotSandbox,
  salesforce: startSalesforceSandbox,
  netsuite: startNetSuiteSandbox,
  stripe: startStripeSandbox,
  zendesk: startZendeskSandbox,
  servicenow: startServiceNowSandbox,
  slack: startSlackSandbox,
};

export interface SandboxFleetOptions {
  host?: string;
  /** First port; the Systems take consecutive ports in {@link sandboxSystems} order. 0: any free ports. */
  basePort?: number;
  /** A directory for one SQLite file per System (data survives restarts); absent: in memory. */
  dataDir?: string;
  /** Seed the fictional business into empty stores (default true). */
  business?: boolean;
  /** Where each System sends its webhooks (and the secret it signs them with). */
  webhookTargets?: (system: SandboxSystemName) => WebhookTarget[];
  /** Only these Systems (default: all seven). */
  only?: readonly SandboxSystemName[];
  adminToken?: string;
}

export interface SandboxFleet {
  sandboxes: Partial<Record<SandboxSystemName, SystemSandbox>>;
  close(): Promise<void>;
}

/**
 * Starts the sandboxes of the seven SaaS Systems, each on its own port as the real ones are on
 * their own hosts, seeded with one coherent fictional business.
 *
 * @example
 * const fleet = await startSandboxFleet({ basePort: 9101, dataDir: '.weft/sandbox' });
 * fleet.sandboxes.hubspot?.connection // baseUrl and credentials for a Weft Connection
 */
export async function startSandboxFleet(opts: SandboxFleetOptions = {}): Promise<SandboxFleet> {
  if (opts.dataDir !== undefined) mkdirSync(opts.dataDir, { recursive: true });
  const sandboxes: SandboxFleet['sandboxes'] = {};
  const close = async () => {
    await Promise.all(Object.values(sandboxes).map((s) => s.close()));
  };
  try {
    for (const [i, system] of sandboxSystems.entries()) {
      if (opts.only !== undefined && !opts.only.includes(system)) continue;
      sandboxes[system] = await starters[system]({
        host: opts.host ?? '127.0.0.1',
        port: opts.basePort === undefined || opts.basePort === 0 ? 0 : opts.basePort + i,
        ...(opts.dataDir !== undefined ? { dbPath: join(opts.dataDir, `${system}.db`) } : {}),
        seedBusiness: opts.business ?? true,
        ...(opts.webhookTargets ? { webhookTargets: opts.webhookTargets(system) } : {}),
        ...(opts.adminToken !== undefined ? { adminToken: opts.adminToken } : {}),
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { sandboxes, close };
}
