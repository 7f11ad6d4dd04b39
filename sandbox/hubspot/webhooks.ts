import { createHash, createHmac } from 'node:crypto';
import type { RecordStore } from '../common/record-store.js';
import type { WebhookSender, WebhookTarget } from '../common/webhook-sender.js';
import { models, type ObjectType } from './model.js';

/** One event of a HubSpot webhook delivery (the body is a JSON array of these). */
export interface HubSpotEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  changeSource: string;
  propertyName?: string;
  propertyValue?: string;
  changeFlag?: string;
}

export interface Change {
  type: ObjectType;
  id: string;
  kind: 'creation' | 'propertyChange' | 'deletion';
  property?: { name: string; value: string };
}

/** The objects HubSpot's app webhooks cover with classic subscription types; tasks have none. */
const subscribable: ReadonlySet<ObjectType> = new Set(['contacts', 'companies', 'deals']);

/**
 * HubSpot's request signature v3: base64(HMAC-SHA256(app client secret,
 * METHOD + URI + body + timestamp)), timestamp in epoch ms. The v1 signature (hex SHA-256 of
 * secret + body) is sent alongside, as HubSpot does for webhooks.
 */
export function signatureHeaders(
  secret: string,
  method: string,
  url: string,
  body: string,
  timestampMs: number,
): Record<string, string> {
  const v3 = createHmac('sha256', secret)
    .update(`${method}${url}${body}${timestampMs}`, 'utf8')
    .digest('base64');
  const v1 = createHash('sha256').update(`${secret}${body}`, 'utf8').digest('hex');
  return {
    'X-HubSpot-Signature-v3': v3,
    'X-HubSpot-Request-Timestamp': String(timestampMs),
    'X-HubSpot-Signature': v1,
    'X-HubSpot-Signature-Version': 'v1',
  };
}

/**
 * Turns the changes of one API request into deliveries: one POST per subscription type, each a
 * JSON array of events (HubSpot batches events the same way), signed per target.
 */
export class HubSpotWebhooks {
  constructor(
    private readonly sender: WebhookSender,
    private readonly store: RecordStore,
    private readonly portal: { portalId: number; appId: number },
    private readonly now: () => number,
  ) {}

  emit(changes: Change[]): void {
    if (this.sender.targets.length === 0) return;
    const byType = new Map<string, HubSpotEvent[]>();
    const occurredAt = this.now();
    for (const c of changes) {
      if (!subscribable.has(c.type)) continue;
      const subscriptionType = `${models[c.type].singular}.${c.kind}`;
      const event: HubSpotEvent = {
        eventId: 100_000 + this.store.nextNumber('hubspot:event-id'),
        subscriptionId: subscriptionIds[subscriptionType] ?? 1,
        portalId: this.portal.portalId,
        appId: this.portal.appId,
        occurredAt,
        subscriptionType,
        attemptNumber: 0,
        objectId: Number(c.id),
        changeSource: 'API',
        ...(c.kind === 'creation' ? { changeFlag: 'NEW' } : {}),
        ...(c.kind === 'deletion' ? { changeFlag: 'DELETED' } : {}),
        ...(c.property ? { propertyName: c.property.name, propertyValue: c.property.value } : {}),
      };
      byType.set(subscriptionType, [...(byType.get(subscriptionType) ?? []), event]);
    }
    for (const [type, events] of byType) {
      for (let i = 0; i < events.length; i += 100) {
        const body = JSON.stringify(events.slice(i, i + 100));
        void this.sender.send({
          type,
          body,
          headers: (target: WebhookTarget, timestampMs: number, url: string) =>
            signatureHeaders(target.secret, 'POST', url, body, timestampMs),
        });
      }
    }
  }
}

/** Stable subscription ids, as an app's subscriptions have. */
const subscriptionIds: Record<string, number> = Object.fromEntries(
  ['contact', 'company', 'deal'].flatMap((o, i) =>
    ['creation', 'propertyChange', 'deletion'].map((k, j) => [`${o}.${k}`, 1_000 + i * 10 + j]),
  ),
);
