import { defineConnector } from '../../connector/connector.js';
import { customerChanges, invoiceChanges, salesOrderChanges } from './changes.js';
import { customerActions } from './customers.js';
import { classifyNetSuiteError } from './errors.js';
import { invoiceActions } from './invoices.js';
import { salesOrderActions } from './sales-orders.js';
import { NetSuiteCustomer, NetSuiteInvoice, NetSuiteSalesOrder } from './schemas.js';
import { suiteQlActions } from './suiteql.js';
import { netsuiteRecordChangeTrigger } from './webhook.js';

/**
 * The REST base of one account: the account id lower-cased with `_` → `-`
 * (`1234567_SB1` → `https://1234567-sb1.suitetalk.api.netsuite.com/services/rest`).
 *
 * @example
 * netsuiteBaseUrl('1234567_SB1') // 'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest'
 */
export function netsuiteBaseUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com/services/rest`;
}

/**
 * NetSuite (SuiteTalk REST web services): customer, salesOrder and invoice through the record
 * service (writes answer 204 + Location; `PUT eid:` upserts), SuiteQL, polling on
 * `lastmodifieddate`, and SuiteScript callouts signed with Weft's header. The base URL depends on
 * the account, so every Connection sets `baseUrl` (see {@link netsuiteBaseUrl}).
 *
 * NetSuite limits concurrent requests per account (429 when exceeded), not requests per minute, and
 * sends no rate-limit headers: the limiter paces at 10 requests/s with a burst of 5 by default
 * (raise `limits` for bulk loads) and 429s back off exponentially.
 *
 * @example
 * const ns = connect(netsuiteConnector, { id: 'erp', connector: 'netsuite', baseUrl: netsuiteBaseUrl('1234567'),
 *   auth: { kind: 'netsuite-tba', accountId: '1234567', consumerKey, consumerSecret, tokenId, tokenSecret } });
 * await ns.run('customers.upsert', { externalId: 'crm-42', companyName: 'Acme Inc.' });
 */
export const netsuiteConnector = defineConnector({
  name: 'netsuite',
  title: 'NetSuite',
  defaultBaseUrl: netsuiteBaseUrl('ACCOUNT_ID'),
  // TBA is what most integrations run on; OAuth 2.0 (authorization code + refresh token) is
  // Oracle's preferred method; a bearer token fits a token minted elsewhere.
  auth: ['netsuite-tba', 'oauth2-refresh-token', 'bearer'],
  objects: {
    customer: NetSuiteCustomer,
    salesOrder: NetSuiteSalesOrder,
    invoice: NetSuiteInvoice,
  },
  actions: { ...customerActions, ...salesOrderActions, ...invoiceActions, ...suiteQlActions },
  pollTriggers: {
    customerChanges,
    salesOrderChanges,
    invoiceChanges,
  },
  webhookTriggers: { recordChanges: netsuiteRecordChangeTrigger },
  http: {
    rateLimit: { requestsPerSecond: 10, burst: 5 },
    classify: classifyNetSuiteError,
  },
});
