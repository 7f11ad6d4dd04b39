import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import {
  createAction,
  deleteAction,
  externalIdForKey,
  findByExternalId,
  getAction,
  listAction,
  recordPath,
  toBody,
  updateAction,
  upsertAction,
  writeResult,
} from './record-actions.js';
import { ExternalId, InvoiceFields, NetSuiteSalesOrder, SalesOrderFields, WriteResult } from './schemas.js';

const spec = {
  prefix: 'salesOrders',
  type: 'salesOrder',
  noun: 'sales order',
  object: NetSuiteSalesOrder,
} as const;
const fields = SalesOrderFields;

/**
 * Bills a sales order: `POST salesOrder/{id}/!transform/invoice`, the invoice taking the order's
 * lines unless the body overrides them. Like a create, the invoice carries an external id (given
 * or derived from the idempotency key) that a retry looks up first.
 */
const bill = defineAction({
  kind: 'write',
  name: 'salesOrders.bill',
  description: 'Bill a sales order: transform it into an invoice (answers the invoice id)',
  input: InvoiceFields.omit({ createdFrom: true }).extend({
    salesOrderId: z.string().regex(/^\d+$/),
    externalId: ExternalId.optional(),
  }),
  output: WriteResult,
  idempotency: {
    strategy: 'ledger',
    lookup: (ctx, input, key) => findByExternalId(ctx, 'invoice', input.externalId ?? externalIdForKey(key)),
  },
  run: async (ctx, input, call) => {
    const { salesOrderId, ...overrides } = input;
    const externalId = input.externalId ?? externalIdForKey(call.idempotencyKey);
    const res = await ctx.http.request({
      method: 'POST',
      path: `${recordPath('salesOrder', { id: salesOrderId })}/!transform/invoice`,
      json: { ...toBody(overrides), externalId },
    });
    return writeResult(res, externalId);
  },
});

export const salesOrderActions = {
  'salesOrders.get': getAction(spec),
  'salesOrders.list': listAction(spec),
  'salesOrders.create': createAction({ ...spec, fields }),
  'salesOrders.upsert': upsertAction({ ...spec, fields }),
  'salesOrders.update': updateAction({ ...spec, fields }),
  'salesOrders.delete': deleteAction(spec),
  'salesOrders.bill': bill,
};
