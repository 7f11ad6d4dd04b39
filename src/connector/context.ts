import type { Authenticator } from './auth.js';
import type { ConnectorHttpClient } from './http-client.js';

/** What an action or trigger gets to do its work: the Connection's HTTP client and a clock. */
export interface ConnectorContext {
  http: ConnectorHttpClient;
  /**
   * The Connection's credentials, which `http` already applies to every request. Only an action
   * whose credential is not a header reads it (`credentialUrl()` of a `webhook-url`).
   */
  auth: Authenticator;
  /** The Connection's non-secret facts. */
  connection: { id: string; baseUrl: string; settings: Record<string, string> };
  now(): number;
  /**
   * What the connector's `client` factory opened for this Connection (a database pool, say);
   * absent for HTTP connectors. The connector narrows it to its own type.
   */
  client?: unknown;
}
