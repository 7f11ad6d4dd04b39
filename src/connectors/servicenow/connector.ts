import { defineConnector } from '../../connector/connector.js';
import { incidentChangesPollTrigger, userChangesPollTrigger } from './changes.js';
import { directoryActions } from './directory.js';
import { classifyServiceNowError, serviceNowRateLimitHeaders } from './errors.js';
import { incidentActions } from './incidents.js';
import { ServiceNowCompany, ServiceNowGroup, ServiceNowIncident, ServiceNowUser } from './schemas.js';
import { incidentWebhookTrigger } from './webhook.js';

/**
 * ServiceNow Table API: incidents (CRUD), users, companies and assignment groups (reads), with
 * encoded queries and Link-header paging; polling on sys_updated_on with a composite cursor; and
 * Business-Rule callouts signed with the Weft signature. The base URL is the instance,
 * `https://<instance>.service-now.com`. Rate-limit rules are per instance and per user, so the
 * default budget is modest and a 429 pauses the Connection until Retry-After / X-RateLimit-Reset.
 *
 * @example
 * const sn = connect(serviceNowConnector, { id: 'sn', connector: 'servicenow', baseUrl: 'https://acme.service-now.com', auth: { kind: 'basic', username, password } });
 * await sn.run('incidents.create', { short_description: 'Printer offline', urgency: '2' }, { idempotencyKey });
 */
export const serviceNowConnector = defineConnector({
  name: 'servicenow',
  title: 'ServiceNow',
  defaultBaseUrl: 'https://instance.service-now.com',
  auth: ['basic', 'bearer', 'oauth2-refresh-token', 'oauth2-client-credentials', 'api-key'],
  objects: {
    incident: ServiceNowIncident,
    user: ServiceNowUser,
    company: ServiceNowCompany,
    group: ServiceNowGroup,
  },
  actions: { ...incidentActions, ...directoryActions },
  pollTriggers: { incidents: incidentChangesPollTrigger, users: userChangesPollTrigger },
  webhookTriggers: { incidents: incidentWebhookTrigger },
  http: {
    rateLimit: { requestsPerSecond: 10, burst: 20, readHeaders: serviceNowRateLimitHeaders },
    classify: classifyServiceNowError,
  },
});
