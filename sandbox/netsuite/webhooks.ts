import { randomUUID } from 'node:crypto';
import { signWeftWebhook, weftSignatureHeader } from '../../src/connector/signed-webhook.js';
import type { WebhookSender } from '../common/webhook-sender.js';
import { isoSeconds, type NsData, type RecordChange } from './records.js';

/**
 * NetSuite has no native webhooks. Customers install a SuiteScript User Event script whose
 * `afterSubmit` POSTs each saved record to Weft, signed with Weft's own header
 * (`X-Weft-Signature: t=…,v1=…`, see docs/connectors/netsuite.md for the script). The sandbox
 * plays that script: after every create, edit and delete it sends the same body to the targets
 * configured with `POST /_sandbox/webhooks {url, secret, events?}` (event types
 * `customer.create`, `salesOrder.edit`, `invoice.delete`, …).
 */

const summaryFields: Record<RecordChange['type'], string[]> = {
  customer: [
    'entityId',
    'companyName',
    'isPerson',
    'firstName',
    'lastName',
    'email',
    'phone',
    'isInactive',
    'subsidiary',
    'currency',
  ],
  salesOrder: ['tranId', 'tranDate', 'entity', 'status', 'total', 'currency', 'memo', 'otherRefNum'],
  invoice: [
    'tranId',
    'tranDate',
    'dueDate',
    'entity',
    'createdFrom',
    'status',
    'total',
    'amountRemaining',
    'currency',
  ],
};

/** The body the SuiteScript sends for one saved record: record reference plus a few body fields. */
export function recordChangeBody(change: RecordChange, account: string, nowMs: number): string {
  const fields: Record<string, unknown> = {};
  for (const f of summaryFields[change.type]) {
    const v = (change.data as NsData)[f];
    if (v === undefined) continue;
    // SuiteScript's getValue gives a select field's internal id, not the object.
    fields[f] = typeof v === 'object' && v !== null && 'id' in v ? (v as { id: string }).id : v;
  }
  return JSON.stringify({
    id: randomUUID(),
    type: `${change.type}.${change.kind}`,
    account,
    recordType: change.type,
    recordId: change.id,
    eventType: change.kind,
    externalId: change.data.externalId ?? null,
    lastModifiedDate: change.kind === 'delete' ? null : change.data.lastModifiedDate,
    occurredAt: isoSeconds(nowMs),
    fields,
  });
}

export function sendRecordChange(
  sender: WebhookSender,
  change: RecordChange,
  account: string,
  nowMs: number,
): void {
  if (sender.targets.length === 0) return;
  const body = recordChangeBody(change, account, nowMs);
  void sender.send({
    type: `${change.type}.${change.kind}`,
    body,
    headers: (target, timestampMs) => ({
      [weftSignatureHeader]: signWeftWebhook(target.secret, body, timestampMs),
      'user-agent': 'Mozilla/5.0 (compatible; NetSuite SuiteScript N/https)',
    }),
  });
}
