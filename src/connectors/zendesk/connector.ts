import { defineConnector } from '../../connector/connector.js';
import { organizationChanges, ticketChanges, userChanges } from './changes.js';
import { zendeskPlaceholderBaseUrl } from './client.js';
import { classifyZendeskError } from './errors.js';
import { organizationActions } from './organizations.js';
import { zendeskRateLimitHeaders } from './rate-limit.js';
import { ZendeskComment, ZendeskEvent, ZendeskOrganization, ZendeskTicket, ZendeskUser } from './schemas.js';
import { ticketActions } from './tickets.js';
import { userActions } from './users.js';
import { zendeskWebhookTrigger } from './webhook.js';

/**
 * Zendesk Support (`/api/v2`): tickets, users, organizations. Cursor paging, incremental exports
 * for polling, `create_or_update` upserts for users and organizations, a ledger look-up (plus
 * Zendesk's `Idempotency-Key`) for ticket creates, signed webhooks. The Connection's `baseUrl` is
 * the account's `https://{subdomain}.zendesk.com`.
 *
 * Auth: an API token as Basic (`username: "{email}/token"`, `password: token`), or an OAuth access
 * token as `bearer`.
 *
 * @example
 * const zd = connect(zendeskConnector, { id: 'zd', connector: 'zendesk', baseUrl: 'https://acme.zendesk.com', auth: { kind: 'basic', username: 'agent@acme.com/token', password: token } });
 * await zd.run('users.createOrUpdate', { email: 'ada@example.com', name: 'Ada' }, { idempotencyKey });
 */
export const zendeskConnector = defineConnector({
  name: 'zendesk',
  title: 'Zendesk Support',
  defaultBaseUrl: zendeskPlaceholderBaseUrl,
  auth: ['basic', 'bearer'],
  objects: {
    ticket: ZendeskTicket,
    comment: ZendeskComment,
    user: ZendeskUser,
    organization: ZendeskOrganization,
    event: ZendeskEvent,
  },
  actions: { ...ticketActions, ...userActions, ...organizationActions },
  pollTriggers: { tickets: ticketChanges, users: userChanges, organizations: organizationChanges },
  webhookTriggers: { events: zendeskWebhookTrigger },
  http: {
    idempotencyHeader: 'Idempotency-Key',
    // Zendesk's Professional plan allows 400 requests a minute; a Connection sets its own plan's figure.
    rateLimit: { requestsPerSecond: 6, burst: 10, readHeaders: zendeskRateLimitHeaders },
    classify: classifyZendeskError,
  },
});
