import type { SecretSource } from '../config.js';
import type { ConnectionRegistry } from '../connections/registry.js';
import type { Clock } from '../contract/clock.js';
import type { Flow } from '../contract/flow.js';
import type { ConnectionAccess } from '../engine/connection-access.js';
import type { Ingest } from '../engine/ingest-port.js';
import type { CompiledFlow } from '../flow/compiled.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/port.js';
import type { FlowVersionRecord } from '../store/records.js';

/**
 * What the API needs from the flow registry (`src/flow/registry.ts`). Declared as a narrow
 * structural port, so the real `FlowRegistry` fits it and tests may pass a small fake.
 */
export interface ApiFlows {
  /** The current compiled version of a flow. */
  current(name: string): CompiledFlow | undefined;
  /** The flow whose webhook trigger listens on this path (without `/hooks/`). */
  byWebhookPath(path: string): CompiledFlow | undefined;
  list(): CompiledFlow[];
  /** Parses and validates a flow source; throws WeftError `invalid_input` with `details.problems`. */
  validate(source: string, file: string): { flow: Flow };
  /** Publishes a new version unless the source is unchanged; writes the audit event itself. */
  deploy(input: {
    source: string;
    file: string;
    actor: string;
    now: number;
  }): Promise<{ version: FlowVersionRecord; created: boolean }>;
}

/**
 * Everything the HTTP API uses, built once in `main.ts`.
 *
 * @example
 * const app = createApi({ store, flows: registry, ingest: engine, wake: () => engine.wake(), clock: systemClock, logger, secrets: envSecrets(process.env) });
 */
export interface ApiDeps {
  store: Store;
  flows: ApiFlows;
  ingest: Ingest;
  /** Nudges the workers after a retry so the re-queued run starts without waiting for a poll. */
  wake: () => void;
  clock: Clock;
  logger: Logger;
  secrets: SecretSource;
  /** Named Connections, for connector webhooks. Default: none (every connection is unknown). */
  connectionAccess?: ConnectionAccess;
  /** Connections: decrypted on use, sealed on write (src/connections/registry.ts). */
  connections: ConnectionRegistry;
}
