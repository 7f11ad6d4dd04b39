import { z } from 'zod';
import { financial, pii } from '../../connector/classification.js';
import { createAction, listAction, retrieveAction, searchAction, updateAction } from './resource-actions.js';
import { StripeCharge } from './schemas.js';

const path = '/v1/charges';
const object = StripeCharge;
const noun = 'charge';

const ChargeUpdateFields = z.object({
  description: z.string().max(40000).optional(),
  receipt_email: pii(z.string()).optional(),
  metadata: z.record(z.string(), z.string().nullable()).optional(),
});

export const chargeActions = {
  'charges.retrieve': retrieveAction({ name: 'charges.retrieve', path, object, noun }),
  'charges.list': listAction({
    name: 'charges.list',
    path,
    object,
    noun,
    filters: z.object({ customer: z.string().optional(), payment_intent: z.string().optional() }),
  }),
  'charges.search': searchAction({ name: 'charges.search', path, object, noun }),
  /** The legacy Charges API; new integrations use PaymentIntents, but many accounts still charge this way. */
  'charges.create': createAction({
    name: 'charges.create',
    path,
    object,
    noun,
    input: ChargeUpdateFields.extend({
      amount: financial(z.number().int().positive()),
      currency: z.string().length(3),
      customer: z.string().optional(),
      source: z.string().optional(),
      capture: z.boolean().optional(),
      statement_descriptor_suffix: z.string().max(22).optional(),
    }),
  }),
  'charges.update': updateAction({ name: 'charges.update', path, object, noun, input: ChargeUpdateFields }),
};
