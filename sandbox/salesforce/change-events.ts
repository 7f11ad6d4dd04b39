import { randomUUID } from 'node:crypto';
import { signWeftWebhook, weftSignatureHeader } from '../../src/connector/signed-webhook.js';
import type { WebhookSender } from '../common/webhook-sender.js';
import type { RecordChange } from './records.js';

/**
 * Change notifications for Salesforce, which signs no webhooks of its own: each committed change
 * becomes one event shaped like a Change Data Capture event (`ChangeEventHeader` plus the changed
 * fields), POSTed to the kit's webhook targets with Weft's signature
 * (`X-Weft-Signature: t=…,v1=…`), which is what the Apex callout in docs/connectors/salesforce.md
 * sends from a real org. A target's `events` filter takes CDC channel names (`AccountChangeEvent`).
 */
export class ChangeEventPublisher {
  #commitNumber = 0;

  constructor(
    private readonly sender: WebhookSender,
    private readonly apiVersion: string,
  ) {}

  /** Announces the changes of one committed transaction (a request, or a whole composite). */
  publish(changes: readonly RecordChange[]): void {
    if (changes.length === 0 || this.sender.targets.length === 0) return;
    const transactionKey = randomUUID();
    changes.forEach((change, i) => {
      const body = JSON.stringify(
        changeEvent(change, {
          transactionKey,
          sequenceNumber: i + 1,
          commitNumber: ++this.#commitNumber,
          apiVersion: this.apiVersion,
        }),
      );
      void this.sender.send({
        type: `${change.object}ChangeEvent`,
        body,
        headers: (target, timestampMs) => ({
          [weftSignatureHeader]: signWeftWebhook(target.secret, body, timestampMs),
        }),
      });
    });
  }
}

/** One CDC-shaped event: the header, then the changed fields (all set fields on CREATE, none on DELETE). */
export function changeEvent(
  change: RecordChange,
  meta: { transactionKey: string; sequenceNumber: number; commitNumber: number; apiVersion: string },
): Record<string, unknown> {
  const header = {
    entityName: change.object,
    recordIds: [change.id],
    changeType: change.changeType,
    changeOrigin: `com/salesforce/api/rest/${meta.apiVersion}`,
    transactionKey: meta.transactionKey,
    sequenceNumber: meta.sequenceNumber,
    commitTimestamp: change.atMs,
    commitNumber: meta.commitNumber,
    commitUser: change.record.LastModifiedById ?? null,
    changedFields: change.changeType === 'UPDATE' ? change.changedFields : [],
  };
  const fields: Record<string, unknown> = {};
  if (change.changeType !== 'DELETE') {
    for (const name of change.changedFields) {
      if (name === 'Id' || name === 'SystemModstamp' || name === 'IsDeleted') continue;
      fields[name] = change.record[name] ?? null;
    }
  }
  return { ChangeEventHeader: header, ...fields };
}
