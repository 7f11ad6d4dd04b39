import type { FaultSettings } from '../../../sandbox/common/faults.js';
import type { ContractHarness } from '../../support/connector-contract.js';

/** `GET /_sandbox/stats` of a sandbox built on the shared kit (sandbox/common/server.ts). */
export interface KitStats {
  requests: number;
  /** 429s (or the System's own rate-limit answer) given so far. */
  rateLimited: number;
  webhooks: { succeeded: number; failed: number };
  /** Records per kind, as the System counts them (e.g. `contacts`, `Account`, `customer`). */
  objects: Record<string, number>;
}

/** Where the kit sends a System's signed webhooks (`POST /_sandbox/webhooks`). */
export interface KitWebhookTarget {
  url: string;
  secret: string;
  events: string[];
}

/**
 * The admin surface every kit sandbox shares, driven directly so that the connector under test
 * never sets up its own conditions.
 */
export interface KitAdmin {
  stats(): Promise<KitStats>;
  /** Records of one kind in the sandbox; 0 before the first is made. */
  count(kind: string): Promise<number>;
  faults(): Promise<FaultSettings>;
  /** Changes only the settings given; the kit also restarts its rate windows. */
  setFaults(settings: Partial<FaultSettings>): Promise<void>;
  webhookTarget(target: KitWebhookTarget): Promise<void>;
  /** `POST /_sandbox/seed`: each System's own route, but all take counts by kind. */
  seed(counts: Record<string, number>): Promise<void>;
}

/** An admin client for the kit sandbox at `sandboxUrl` (its root, where `/_sandbox/*` lives). */
export function kitAdmin(sandboxUrl: string): KitAdmin {
  const call = async <T>(path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${sandboxUrl}/_sandbox/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // A refused setting would otherwise surface later as a puzzling contract failure.
    if (!res.ok) throw new Error(`sandbox admin ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const stats = () => call<KitStats>('stats');
  return {
    stats,
    count: async (kind) => (await stats()).objects[kind] ?? 0,
    faults: () => call<FaultSettings>('faults'),
    setFaults: async (settings) => {
      await call('faults', settings);
    },
    webhookTarget: async (target) => {
      await call('webhooks', target);
    },
    seed: async (counts) => {
      await call('seed', counts);
    },
  };
}

/**
 * The contract's `rateLimit` section on the kit's fault switch. `clear` puts back the limit the
 * sandbox had before `limit`, i.e. the System's own budget, so no harness restates its default.
 */
export function kitRateLimit(admin: KitAdmin): NonNullable<ContractHarness['rateLimit']> {
  let resting: FaultSettings['rateLimit'] | undefined;
  return {
    limit: async (opts) => {
      resting ??= (await admin.faults()).rateLimit;
      await admin.setFaults({ rateLimit: opts });
    },
    clear: async () => {
      if (resting) await admin.setFaults({ rateLimit: resting });
    },
    rejected: async () => (await admin.stats()).rateLimited,
  };
}

/** The contract's `write.dropNextResponse`: the kit applies the next write, then drops the connection. */
export function kitDropNextResponse(admin: KitAdmin): () => Promise<void> {
  return async () => {
    await admin.setFaults({ dropNextResponses: 1 });
  };
}
