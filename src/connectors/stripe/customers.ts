import { z } from 'zod';
import { pii } from '../../connector/classification.js';
import { createAction, listAction, retrieveAction, searchAction, updateAction } from './resource-actions.js';
import { StripeCustomer } from './schemas.js';

const path = '/v1/customers';
const object = StripeCustomer;
const noun = 'customer';

/** Parameters of POST /v1/customers (subset flows use; names and types per the OpenAPI spec). */
const CustomerFields = z.object({
  email: pii(z.string().max(512)).optional(),
  name: pii(z.string().max(256)).optional(),
  phone: pii(z.string().max(20)).optional(),
  description: z.string().max(350).optional(),
  address: pii(
    z.object({
      line1: z.string(),
      line2: z.string(),
      city: z.string(),
      state: z.string(),
      postal_code: z.string(),
      country: z.string(),
    }),
  )
    .partial()
    .optional(),
  preferred_locales: z.array(z.string()).optional(),
  /** `null` unsets a key (Stripe's `metadata[key]=`). */
  metadata: z.record(z.string(), z.string().nullable()).optional(),
});

export const customerActions = {
  'customers.retrieve': retrieveAction({ name: 'customers.retrieve', path, object, noun }),
  'customers.list': listAction({
    name: 'customers.list',
    path,
    object,
    noun,
    filters: z.object({ email: z.string().optional() }),
  }),
  'customers.search': searchAction({ name: 'customers.search', path, object, noun }),
  'customers.create': createAction({ name: 'customers.create', path, object, noun, input: CustomerFields }),
  'customers.update': updateAction({ name: 'customers.update', path, object, noun, input: CustomerFields }),
};
