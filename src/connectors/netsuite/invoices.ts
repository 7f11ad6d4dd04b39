import {
  createAction,
  deleteAction,
  getAction,
  listAction,
  updateAction,
  upsertAction,
} from './record-actions.js';
import { InvoiceFields, NetSuiteInvoice } from './schemas.js';

const spec = { prefix: 'invoices', type: 'invoice', noun: 'invoice', object: NetSuiteInvoice } as const;
const fields = InvoiceFields;

export const invoiceActions = {
  'invoices.get': getAction(spec),
  'invoices.list': listAction(spec),
  'invoices.create': createAction({ ...spec, fields }),
  'invoices.upsert': upsertAction({ ...spec, fields }),
  'invoices.update': updateAction({ ...spec, fields }),
  'invoices.delete': deleteAction(spec),
};
