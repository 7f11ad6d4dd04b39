import { baseUrlHost, type CatalogEntry, hostOf } from './catalog-entry.js';
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

/**
 * Every connector a Connection may name. A Connection's `connector` must be a key here; flows
 * reach actions and triggers only through this catalog. Importing it loads every connector (about
 * 10 MB of schemas): processes that use no Connection never do; the rest load it on first use
 * through `loadConnectorCatalog` (./load-catalog.ts).
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
