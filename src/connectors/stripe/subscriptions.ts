import { z } from 'zod';
import { createAction, listAction, retrieveAction, searchAction, updateAction } from './resource-actions.js';
import { StripeSubscription } from './schemas.js';

const path = '/v1/subscriptions';
const object = StripeSubscription;
const noun = 'subscription';

const Item = z.object({ price: z.string(), quantity: z.number().int().positive().optional() });

const SubscriptionFields = z.object({
  description: z.string().max(500).optional(),
  cancel_at_period_end: z.boolean().optional(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
  days_until_due: z.number().int().optional(),
  default_payment_method: z.string().optional(),
  metadata: z.record(z.string(), z.string().nullable()).optional(),
});

export const subscriptionActions = {
  'subscriptions.retrieve': retrieveAction({ name: 'subscriptions.retrieve', path, object, noun }),
  'subscriptions.list': listAction({
    name: 'subscriptions.list',
    path,
    object,
    noun,
    filters: z.object({
      customer: z.string().optional(),
      price: z.string().optional(),
      status: z
        .enum([
          'active',
          'all',
          'canceled',
          'ended',
          'incomplete',
          'incomplete_expired',
          'past_due',
          'paused',
          'trialing',
          'unpaid',
        ])
        .optional(),
    }),
  }),
  'subscriptions.search': searchAction({ name: 'subscriptions.search', path, object, noun }),
  'subscriptions.create': createAction({
    name: 'subscriptions.create',
    path,
    object,
    noun,
    input: SubscriptionFields.extend({ customer: z.string(), items: z.array(Item).min(1).max(20) }),
  }),
  'subscriptions.update': updateAction({
    name: 'subscriptions.update',
    path,
    object,
    noun,
    input: SubscriptionFields.extend({
      items: z
        .array(Item.partial().extend({ id: z.string().optional(), deleted: z.boolean().optional() }))
        .optional(),
    }),
  }),
};
