import type { AuthKind } from '../connector/auth.js';
import type { Connection, ConnectorDefinition } from '../connector/connector.js';
import { httpConnector } from './http/connector.js';
import { hubspotConnector } from './hubspot/connector.js';
import { netsuiteConnector } from './netsuite/connector.js';
import { postgresConnector } from './postgres/connector.js';
import { postgresTarget } from './postgres/pool.js';
import { salesforceConnector } from './salesforce/connector.js';
import { serviceNowConnector } from './servicenow/connector.js';
import { slackConnector } from './slack/connector.js';
import { stripeConnector } from './stripe/connector.js';
import { zendeskConnector } from './zendesk/connector.js';

/** A read action and input that prove auth and reachability without side effects. */
export interface CatalogProbe {
  action: string;
  input: unknown;
}

/** One connector Weft ships, and how `weft connections test` checks a Connection of it. */
export interface CatalogEntry {
  connector: ConnectorDefinition;
  /**
   * The cheap authenticated read the test runs. Absent for a connector without a read action (the
   * generic `http`): the test then makes an authenticated `GET` of the base URL and judges its status,
   * because running a write to find out would have side effects.
   */
  probe?: CatalogProbe;
  /** For an auth kind the main probe cannot check (a Slack webhook URL cannot call `auth.test`). */
  probeByAuth?: Partial<Record<AuthKind, CatalogProbe>>;
  /**
   * What a Connection reaches, for messages ("cannot reach db.internal:5432"): a host, never a
   * secret. Default: the host of the base URL, which some Systems do not use (PostgreSQL).
   */
  target?: (connection: Connection) => string;
}

/**
 * Every connector a Connection may name. A Connection's `connector` must be a key here; flows
 * reach actions and triggers only through this catalog.
 */
export const connectorCatalog: Readonly<Record<string, CatalogEntry>> = {
  hubspot: { connector: hubspotConnector, probe: { action: 'contacts.list', input: { limit: 1 } } },
  salesforce: { connector: salesforceConnector, probe: { action: 'limits.get', input: {} } },
  netsuite: { connector: netsuiteConnector, probe: { action: 'customers.list', input: { limit: 1 } } },
  stripe: { connector: stripeConnector, probe: { action: 'customers.list', input: { limit: 1 } } },
  servicenow: { connector: serviceNowConnector, probe: { action: 'incidents.list', input: { limit: 1 } } },
  slack: {
    connector: slackConnector,
    probe: { action: 'auth.test', input: {} },
    probeByAuth: { 'webhook-url': { action: 'incomingWebhook.check', input: {} } },
    // A webhook Connection goes to the webhook's host (the path is the secret), not to the Web API.
    target: (c) => (c.auth.kind === 'webhook-url' ? hostOf(c.auth.url) : baseUrlHost(slackConnector, c)),
  },
  zendesk: { connector: zendeskConnector, probe: { action: 'tickets.list', input: { page_size: 1 } } },
  postgres: {
    connector: postgresConnector,
    probe: { action: 'query', input: { sql: 'SELECT 1 AS ok' } },
    target: postgresTarget,
  },
  // Any REST API at the Connection's base URL; its one action is a write, so no probe action.
  http: { connector: httpConnector },
};

export function findConnector(name: string): CatalogEntry | undefined {
  return Object.hasOwn(connectorCatalog, name) ? connectorCatalog[name] : undefined;
}

/** The probe for a Connection with this auth kind, or undefined for the base-URL reachability check. */
export function probeOf(entry: CatalogEntry, authKind: AuthKind): CatalogProbe | undefined {
  return entry.probeByAuth?.[authKind] ?? entry.probe;
}

/** The host a Connection reaches, as messages name it. */
export function targetOf(entry: CatalogEntry, connection: Connection): string {
  return entry.target?.(connection) ?? baseUrlHost(entry.connector, connection);
}

function baseUrlHost(connector: ConnectorDefinition, connection: Connection): string {
  return hostOf(connection.baseUrl ?? connector.defaultBaseUrl);
}

/** `host[:port]` of a URL; the text itself when it is not one. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
