import { defineConnector } from '../../connector/connector.js';
import { associationActions } from './associations.js';
import { companiesChanged, contactsChanged, dealsChanged, tasksChanged } from './changes.js';
import { companyActions } from './companies.js';
import { contactActions } from './contacts.js';
import { dealActions } from './deals.js';
import { classifyHubSpotError } from './errors.js';
import { hubspotRateLimitHeaders } from './rate-limit.js';
import { HubSpotCompany, HubSpotContact, HubSpotDeal, HubSpotTask, HubSpotWebhookEvent } from './schemas.js';
import { taskActions } from './tasks.js';
import { hubspotWebhookTrigger } from './webhook.js';

/** Production base URL; paths carry their version (`/crm/v3/objects`, `/crm/v4/objects`). */
export const hubspotBaseUrl = 'https://api.hubapi.com';
/** OAuth 2 token endpoint (refresh-token grant, client credentials in the form body). */
export const hubspotTokenUrl = 'https://api.hubapi.com/oauth/v1/token';

/**
 * HubSpot CRM: contacts, companies, deals, tasks and their associations. JSON over the v3 object
 * API and v4 associations, `after` cursor paging, search, batch upsert by `idProperty`. HubSpot has
 * no idempotency-key header: writes stay single by upsert on a unique property, or (creates) by the
 * engine's ledger with a look-up by a unique property. The limiter starts at 9 requests/s with a
 * burst of 10 (at most 100 per rolling 10 s, the smallest private-app allowance) and follows the
 * `X-HubSpot-RateLimit-*` headers.
 *
 * @example
 * const hubspot = connect(hubspotConnector, { id: 'crm', connector: 'hubspot', auth: { kind: 'bearer', token: privateAppToken } });
 * await hubspot.run('contacts.upsert', { id: 'ada@example.com', properties: { firstname: 'Ada' } });
 */
export const hubspotConnector = defineConnector({
  name: 'hubspot',
  title: 'HubSpot CRM',
  defaultBaseUrl: hubspotBaseUrl,
  auth: ['bearer', 'oauth2-refresh-token'],
  objects: {
    contact: HubSpotContact,
    company: HubSpotCompany,
    deal: HubSpotDeal,
    task: HubSpotTask,
    webhookEvent: HubSpotWebhookEvent,
  },
  actions: { ...contactActions, ...companyActions, ...dealActions, ...taskActions, ...associationActions },
  pollTriggers: {
    'contacts.changed': contactsChanged,
    'companies.changed': companiesChanged,
    'deals.changed': dealsChanged,
    'tasks.changed': tasksChanged,
  },
  webhookTriggers: { events: hubspotWebhookTrigger },
  http: {
    rateLimit: { requestsPerSecond: 9, burst: 10, readHeaders: hubspotRateLimitHeaders },
    classify: classifyHubSpotError,
  },
});
