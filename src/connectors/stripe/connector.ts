import { defineConnector } from '../../connector/connector.js';
import { chargeActions } from './charges.js';
import { customerActions } from './customers.js';
import { classifyStripeError } from './errors.js';
import { stripeEventsPollTrigger } from './events.js';
import { invoiceActions } from './invoices.js';
import { StripeCharge, StripeCustomer, StripeEvent, StripeInvoice, StripeSubscription } from './schemas.js';
import { subscriptionActions } from './subscriptions.js';
import { stripeApiVersion, stripeBaseUrl } from './version.js';
import { stripeWebhookTrigger } from './webhook.js';

/**
 * Stripe: customers, invoices, charges, subscriptions. Form-encoded requests, a pinned
 * `Stripe-Version`, native `Idempotency-Key` on every write, cursor paging, signed webhooks.
 * Stripe sends no rate-limit headers, so the limiter uses Stripe's documented sandbox budget
 * (25 requests/s) and 429s back off exponentially.
 *
 * @example
 * const stripe = connect(stripeConnector, { id: 'stripe', connector: 'stripe', auth: { kind: 'bearer', token: secretKey } });
 * await stripe.run('customers.create', { email: 'ada@example.com' }, { idempotencyKey });
 */
export const stripeConnector = defineConnector({
  name: 'stripe',
  title: 'Stripe',
  defaultBaseUrl: stripeBaseUrl,
  // Stripe takes the secret key as a bearer token or as the Basic user name.
  auth: ['bearer', 'basic'],
  objects: {
    customer: StripeCustomer,
    invoice: StripeInvoice,
    charge: StripeCharge,
    subscription: StripeSubscription,
    event: StripeEvent,
  },
  actions: { ...customerActions, ...invoiceActions, ...chargeActions, ...subscriptionActions },
  pollTriggers: { events: stripeEventsPollTrigger },
  webhookTriggers: { events: stripeWebhookTrigger },
  http: {
    defaultHeaders: { 'Stripe-Version': stripeApiVersion },
    idempotencyHeader: 'Idempotency-Key',
    rateLimit: { requestsPerSecond: 25 },
    classify: classifyStripeError,
  },
});
