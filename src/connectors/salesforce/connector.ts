import { defineConnector } from '../../connector/connector.js';
import { salesforcePollTriggers } from './changes.js';
import { compositeActions } from './composite.js';
import { classifySalesforceError, sforceLimitInfoReader } from './errors.js';
import { limitActions } from './limits.js';
import { queryActions } from './query.js';
import { SalesforceChangeEvent, SalesforceRecords } from './schemas.js';
import { sobjectActionMap } from './sobjects.js';
import { salesforceChangeEventTrigger } from './webhook.js';

export interface SalesforceConnectorOptions {
  /**
   * How long to hold a Connection after the org's daily allocation is spent (403
   * REQUEST_LIMIT_EXCEEDED, or `Sforce-Limit-Info` at its maximum). Default 15 minutes.
   */
  requestLimitRetryAfterMs?: number;
}

/**
 * Builds the Salesforce connector. Lead, Contact, Account, Opportunity, Task and Case over the REST
 * API at a pinned version (Connection setting `apiVersion`): CRUD, upsert by External ID, SOQL
 * following `nextRecordsUrl`, composite, per-object poll triggers on SystemModstamp, and signed
 * change-event webhooks.
 *
 * @example
 * const sf = connect(createSalesforceConnector({ requestLimitRetryAfterMs: 60_000 }), connection);
 */
export function createSalesforceConnector(opts: SalesforceConnectorOptions = {}) {
  return defineConnector({
    name: 'salesforce',
    title: 'Salesforce',
    // A Connection sets its My Domain URL (the token answer's instance_url); there is no shared API host.
    defaultBaseUrl: 'https://login.salesforce.com',
    auth: ['oauth2-client-credentials', 'oauth2-refresh-token', 'bearer'],
    objects: { ...SalesforceRecords, ChangeEvent: SalesforceChangeEvent },
    actions: { ...sobjectActionMap, ...queryActions, ...compositeActions, ...limitActions },
    pollTriggers: salesforcePollTriggers,
    webhookTriggers: { changeEvents: salesforceChangeEventTrigger },
    http: {
      // Salesforce has no per-second REST limit, only the daily allocation read from Sforce-Limit-Info.
      rateLimit: {
        requestsPerSecond: 25,
        readHeaders: sforceLimitInfoReader({
          ...(opts.requestLimitRetryAfterMs === undefined
            ? {}
            : { retryAfterMs: opts.requestLimitRetryAfterMs }),
        }),
      },
      classify: classifySalesforceError(opts),
    },
  });
}

/** The Salesforce connector with default settings. */
export const salesforceConnector = createSalesforceConnector();
