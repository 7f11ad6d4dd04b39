import {
  accountNameIn,
  type Business,
  type Contact,
  contactEmailIn,
  contactNameIn,
  duplicatedAccountsIn,
  duplicateNameIn,
  generateBusiness,
  type Invoice,
} from '../seed/index.js';
import { newId } from './ids.js';
import { buildCustomer, buildInvoice } from './objects.js';
import { buildCharge, buildSubscription, seedPrices } from './objects-payments.js';
import type { StripeObject, StripeStore } from './store.js';

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** One price per plan and currency, named for what Loomwise sells. */
function planPrice(store: StripeStore, plan: string, currency: string, unitAmount: number, created: number) {
  const id = `price_loomwise_${plan}_${currency}`;
  const existing = store.get('price', id);
  if (existing) return existing;
  const [template] = seedPrices(created);
  const price: StripeObject = {
    ...(template as StripeObject),
    id,
    currency,
    nickname: `Loomwise ${plan}`,
    product: `prod_loomwise_${plan}`,
    lookup_key: `loomwise_${plan}_${currency}`,
    unit_amount: unitAmount,
    unit_amount_decimal: String(unitAmount),
  };
  store.insert(price);
  return price;
}

/** A Stripe customer as the billing person typed it: the account's Stripe spelling, their email. */
function customerFor(opts: {
  name: string;
  contact: Contact | undefined;
  city: string;
  country: string;
  created: number;
  email?: string;
}) {
  const name = opts.contact ? contactNameIn('stripe', opts.contact) : undefined;
  const customer = buildCustomer(
    {
      name: opts.name,
      ...((opts.email ?? (opts.contact ? contactEmailIn('stripe', opts.contact) : undefined))
        ? { email: opts.email ?? contactEmailIn('stripe', opts.contact as Contact) }
        : {}),
      ...(opts.contact ? { phone: opts.contact.phone } : {}),
      ...(name ? { description: `Billing contact: ${name.firstName} ${name.lastName}` } : {}),
      address: { city: opts.city, country: opts.country },
    },
    opts.created,
  );
  return customer;
}

/** An invoice line for one business line item, in the basil `parent`/`pricing` shape. */
function lineItem(opts: {
  invoiceId: string;
  subscriptionId: string;
  priceId: string;
  product: string;
  line: Invoice['lines'][number];
  currency: string;
  start: number;
  end: number;
}): Record<string, unknown> {
  const amount = opts.line.quantity * opts.line.unitAmount;
  return {
    id: newId('il'),
    object: 'line_item',
    amount,
    currency: opts.currency,
    description: opts.line.description,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: opts.invoiceId,
    livemode: false,
    metadata: {},
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: null,
        subscription: opts.subscriptionId,
        subscription_item: null,
      },
    },
    period: { start: opts.start, end: opts.end },
    pretax_credit_amounts: [],
    pricing: {
      type: 'price_details',
      price_details: { price: opts.priceId, product: opts.product },
      unit_amount_decimal: String(opts.line.unitAmount),
    },
    quantity: opts.line.quantity,
    quantity_decimal: String(opts.line.quantity),
    subtotal: amount,
    taxes: [],
  };
}

const invoiceStatus: Record<Invoice['status'], string> = {
  paid: 'paid',
  open: 'open',
  // Stripe has no "overdue": an open invoice past its due date.
  overdue: 'open',
  void: 'void',
};

/**
 * The business's billing as Stripe holds it: a customer per subscribing account (Stripe's own
 * spelling of the name, the billing contact's email, a few true duplicates typed twice), its
 * subscription, every monthly invoice with its line items (plan seats, API overage, onboarding),
 * and a charge for each paid invoice — all dated when the business says they happened.
 */
export function seedStripeBusiness(store: StripeStore, business: Business = generateBusiness()): void {
  const accounts = new Map(business.accounts.map((a) => [a.key, a]));
  const billingContact = new Map<string, Contact>();
  for (const c of business.contacts)
    if (!billingContact.has(c.accountKey)) billingContact.set(c.accountKey, c);
  const duplicated = new Set(duplicatedAccountsIn('stripe', business).map((a) => a.key));
  const invoicesOf = new Map<string, Invoice[]>();
  for (const inv of business.invoices)
    invoicesOf.set(inv.subscriptionKey, [...(invoicesOf.get(inv.subscriptionKey) ?? []), inv]);

  for (const sub of business.subscriptions) {
    const account = accounts.get(sub.accountKey);
    if (!account) continue;
    const started = seconds(sub.startedAt);
    const contact = billingContact.get(account.key);
    const customer = customerFor({
      name: accountNameIn('stripe', account),
      contact,
      city: account.city,
      country: account.country,
      created: Math.min(seconds(account.createdAt), started),
    });
    store.insert(customer);
    if (duplicated.has(account.key)) {
      // Someone created the customer again by hand: other spelling, lower-cased email.
      store.insert(
        customerFor({
          name: duplicateNameIn('stripe', account),
          contact,
          city: account.city,
          country: account.country,
          created: started + 86_400,
          ...(contact ? { email: contact.workEmail.toLowerCase() } : {}),
        }),
      );
    }
    const price = planPrice(
      store,
      sub.plan,
      sub.currency,
      Math.round(sub.monthlyAmount / sub.seats),
      started,
    );
    const subscription = buildSubscription({
      p: {},
      customer: customer.id,
      items: [{ price, quantity: sub.seats }],
      now: started,
    });
    const canceled = sub.status === 'canceled';
    let latestInvoice: string | null = null;
    let sequence = 1;
    for (const inv of invoicesOf.get(sub.key) ?? []) {
      const issued = seconds(`${inv.issuedOn}T00:00:00Z`);
      const due = seconds(`${inv.dueOn}T00:00:00Z`);
      const draft = buildInvoice(
        {
          subscription: subscription.id,
          billing_reason: sequence === 1 ? 'subscription_create' : 'subscription_cycle',
          collection_method: 'send_invoice',
          currency: inv.currency,
          due_date: String(due),
        },
        customer,
        issued,
      );
      const lines = inv.lines.map((line) =>
        lineItem({
          invoiceId: draft.id,
          subscriptionId: subscription.id,
          priceId: price.id,
          product: price.product as string,
          line,
          currency: inv.currency,
          start: issued,
          end: issued + 30 * 86_400,
        }),
      );
      const status = invoiceStatus[inv.status];
      const paid = status === 'paid';
      store.insert({
        ...draft,
        number: inv.number,
        status,
        lines: { ...(draft.lines as object), data: lines },
        amount_due: inv.total,
        amount_paid: paid ? inv.total : 0,
        amount_remaining: paid || status === 'void' ? 0 : inv.total,
        subtotal: inv.total,
        subtotal_excluding_tax: inv.total,
        total: inv.total,
        total_excluding_tax: inv.total,
        attempted: paid,
        attempt_count: paid ? 1 : 0,
        period_start: issued,
        period_end: issued + 30 * 86_400,
        effective_at: issued,
        hosted_invoice_url: `https://invoice.stripe.com/i/sandbox/${draft.id}`,
        invoice_pdf: `https://pay.stripe.com/invoice/sandbox/${draft.id}/pdf`,
        status_transitions: {
          finalized_at: issued,
          marked_uncollectible_at: null,
          paid_at: paid ? issued + 3 * 86_400 : null,
          voided_at: status === 'void' ? issued + 86_400 : null,
        },
      });
      if (paid) {
        store.insert(
          buildCharge(
            {
              amount: String(inv.total),
              currency: inv.currency,
              customer: customer.id,
              description: `Payment for invoice ${inv.number}`,
            },
            issued + 3 * 86_400,
          ),
        );
      }
      latestInvoice = draft.id;
      sequence += 1;
    }
    store.update({ ...customer, next_invoice_sequence: sequence, currency: sub.currency });
    store.insert({
      ...subscription,
      status: sub.status,
      latest_invoice: latestInvoice,
      metadata: { plan: sub.plan },
      ...(canceled ? { canceled_at: started + 60 * 86_400, ended_at: started + 60 * 86_400 } : {}),
      ...(sub.status === 'trialing' ? { trial_start: started, trial_end: started + 14 * 86_400 } : {}),
    });
  }
}
