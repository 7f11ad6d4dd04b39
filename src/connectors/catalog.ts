import type { ConnectorDefinition } from '../connector/connector.js';
import { hubspotConnector } from './hubspot/connector.js';
import { netsuiteConnector } from './netsuite/connector.js';
import { postgresConnector } from './postgres/connector.js';
import { salesforceConnector } from './salesforce/connector.js';
import { serviceNowConnector } from './servicenow/connector.js';
import { slackConnector } from './slack/connector.js';
import { stripeConnector } from './stripe/connector.js';
import { zendeskConnector } from './zendesk/connector.js';

/** One connector Weft ships, and the cheap authenticated read `weft connections test` makes. */
export interface CatalogEntry {
  connector: ConnectorDefinition;
  /** A read action and input that proves auth and reachability without side effects. */
  probe: { action: string; input: unknown };
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
  slack: { connector: slackConnector, probe: { action: 'auth.test', input: {} } },
  zendesk: { connector: zendeskConnector, probe: { action: 'tickets.list', input: { page_size: 1 } } },
  postgres: { connector: postgresConnector, probe: { action: 'query', input: { sql: 'SELECT 1 AS ok' } } },
};

export function findConnector(name: string): CatalogEntry | undefined {
  return Object.hasOwn(connectorCatalog, name) ? connectorCatalog[name] : undefined;
}
