import { randomUUID } from 'node:crypto';
import { signWeftWebhook, weftSignatureHeader } from '../../src/connector/signed-webhook.js';
import type { WebhookSender } from '../common/webhook-sender.js';
import type { ChangeKind, SnRecord } from './records.js';

const operations: Record<ChangeKind, string> = { created: 'insert', updated: 'update', deleted: 'delete' };

/**
 * ServiceNow signs no webhooks. What a customer configures instead is an async Business Rule (or a
 * Flow REST step) on `incident` that POSTs the changed record to Weft, signed with the Weft
 * signature (`docs/connectors/servicenow.md` has the script). The sandbox plays that rule: every
 * API insert, update and delete of an incident is sent to the targets of `POST /_sandbox/webhooks`
 * as `incident.created|updated|deleted` with `X-Weft-Signature`.
 */
export function incidentChangeSender(webhooks: WebhookSender) {
  return (table: string, kind: ChangeKind, record: SnRecord): void => {
    if (table !== 'incident') return;
    const body = JSON.stringify({
      event_id: randomUUID().replaceAll('-', ''),
      event_type: `incident.${kind}`,
      operation: operations[kind],
      table,
      sys_id: record.sys_id,
      sys_updated_on: record.sys_updated_on,
      sys_mod_count: record.sys_mod_count,
      record,
    });
    void webhooks.send({
      type: `incident.${kind}`,
      body,
      headers: (target, timestampMs) => ({
        [weftSignatureHeader]: signWeftWebhook(target.secret, body, timestampMs),
      }),
    });
  };
}
