import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { createAction, listAction, retrieveAction, searchAction, updateAction } from './resource-actions.js';
import { StripeInvoice } from './schemas.js';

const path = '/v1/invoices';
const object = StripeInvoice;
const noun = 'invoice';

const InvoiceFields = z.object({
  description: z.string().max(1500).optional(),
  collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
  days_until_due: z.number().int().optional(),
  due_date: z.number().int().optional(),
  auto_advance: z.boolean().optional(),
  currency: z.string().length(3).optional(),
  metadata: z.record(z.string(), z.string().nullable()).optional(),
});

export const invoiceActions = {
  'invoices.retrieve': retrieveAction({ name: 'invoices.retrieve', path, object, noun }),
  'invoices.list': listAction({
    name: 'invoices.list',
    path,
    object,
    noun,
    filters: z.object({
      customer: z.string().optional(),
      subscription: z.string().optional(),
      status: z.enum(['draft', 'open', 'paid', 'uncollectible', 'void']).optional(),
      collection_method: z.enum(['charge_automatically', 'send_invoice']).optional(),
    }),
  }),
  'invoices.search': searchAction({ name: 'invoices.search', path, object, noun }),
  'invoices.create': createAction({
    name: 'invoices.create',
    path,
    object,
    noun,
    input: InvoiceFields.extend({ customer: z.string(), subscription: z.string().optional() }),
  }),
  'invoices.update': updateAction({ name: 'invoices.update', path, object, noun, input: InvoiceFields }),
  /** draft → open. Finalising twice is refused by Stripe, so the key matters here as well. */
  'invoices.finalize': defineAction({
    kind: 'write',
    name: 'invoices.finalize',
    description: 'Finalize a draft invoice (draft → open)',
    input: z.object({ id: z.string().regex(/^[A-Za-z0-9_]+$/), auto_advance: z.boolean().optional() }),
    output: object,
    idempotency: { strategy: 'native-key' },
    run: async (ctx, { id, ...form }, call) =>
      (
        await ctx.http.request({
          method: 'POST',
          path: `${path}/${id}/finalize`,
          form,
          idempotencyKey: call.idempotencyKey,
        })
      ).body,
  }),
};
