import type { ActionDefinition } from '../connector/action.js';
import type { ConnectedConnector } from '../connector/connector.js';
import { WeftError } from '../contract/errors.js';

/** A Connection as the engine uses it: the opened connector and its declared request budget. */
export interface OpenedConnection {
  connected: ConnectedConnector<Record<string, ActionDefinition>>;
  /** The Connection's `limits`: its budget is also taken from the shared store bucket `connection:<name>`. */
  limits?: { requestsPerSecond?: number; burst?: number };
  /** Secrets that verify the System's webhook deliveries (two while rotating). */
  webhookSecrets: readonly string[];
}

/** How steps and triggers reach Connections; the ConnectionRegistry implements it. */
export interface ConnectionAccess {
  /** The opened Connection, one per process (so its in-process limiter is shared), or a `not_found` WeftError. */
  open(name: string): Promise<OpenedConnection>;
}

/** For engines started without Connections (tests, the bare engine): every name is unknown. */
export const noConnections: ConnectionAccess = {
  open: async (name) => {
    throw new WeftError({
      code: 'not_found',
      message: `connection ${name} does not exist; declare it (weft connections apply) and retry`,
    });
  },
};
