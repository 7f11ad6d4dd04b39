import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActionDefinition } from '../../src/connector/action.js';
import type { ConnectedConnector } from '../../src/connector/connector.js';
import type { WebhookRequest, WebhookTriggerDefinition } from '../../src/connector/triggers.js';
import { WeftError } from '../../src/contract/errors.js';

type Connected = ConnectedConnector<Record<string, ActionDefinition>>;

/**
 * What a connector's sandbox supplies so the shared contract suite can run against it. Every hook
 * drives the sandbox through its admin endpoint, never through the connector under test.
 */
export interface ContractHarness {
  /** A connection with valid or deliberately wrong credentials. */
  connect(credentials: 'valid' | 'invalid'): Connected;
  /** A cheap authenticated read. */
  probe(c: Connected): Promise<unknown>;
  paging: {
    /** Creates `count` records in the sandbox (directly, not through the connector). */
    seed(count: number): Promise<void>;
    /** Lists every record through the connector's own paging. */
    listAll(c: Connected): Promise<{ id: string }[]>;
    /** Smaller than the seed, so paging to the end needs several pages. */
    pageSize: number;
  };
  /** Absent only for Systems with no request-rate signal (a database); say why in the harness. */
  rateLimit?: {
    /** Let at most `requests` through per `windowMs`; the rest get the System's 429. */
    limit(opts: { requests: number; windowMs: number }): Promise<void>;
    clear(): Promise<void>;
    /** 429s the sandbox has answered so far. */
    rejected(): Promise<number>;
  };
  write: {
    /** A write action and a valid input for it. */
    run(c: Connected, call: { idempotencyKey: string; attempt: number }): Promise<{ id: string }>;
    /** The sandbox applies the next write but drops the connection before answering. */
    dropNextResponse(): Promise<void>;
    /** Records of the written kind in the sandbox. */
    count(): Promise<number>;
  };
  /** Absent only for Systems that sign no webhooks (PostgreSQL, ServiceNow's outbound REST). */
  webhook?: {
    trigger: WebhookTriggerDefinition;
    secret: string;
    /** Makes the sandbox send one real, signed delivery and returns it as received. */
    capture(c: Connected): Promise<WebhookRequest & { signedAt: number }>;
    /** The trigger's freshness window. */
    toleranceMs: number;
  };
  teardown(): Promise<void>;
}

/** Sections a System cannot have; each value is the reason, shown in the suite's name. */
export interface ContractExemptions {
  /** e.g. "a database answers no request-rate signal". */
  rateLimit?: string;
  /** e.g. "PostgreSQL sends no webhooks". */
  webhook?: string;
}

/**
 * Registers the contract every connector passes against its sandbox: auth success and failure,
 * paging to the end, rate-limit back-off, a retried write without a duplicate, and webhook
 * verification (valid, tampered, stale). A section is left out only with a stated exemption.
 *
 * @example
 * describeConnectorContract('stripe', async () => stripeHarness());
 */
export function describeConnectorContract(
  name: string,
  setup: () => Promise<ContractHarness>,
  exempt: ContractExemptions = {},
): void {
  const exemptions = Object.entries(exempt).map(([k, why]) => `${k}: ${why}`);
  const title = exemptions.length
    ? `connector contract: ${name} (exempt ${exemptions.join('; ')})`
    : `connector contract: ${name}`;
  describe(title, () => {
    let h: ContractHarness;
    beforeAll(async () => {
      h = await setup();
      if (exempt.rateLimit === undefined && !h.rateLimit)
        throw new Error(`${name}: harness lacks rateLimit and states no exemption`);
      if (exempt.webhook === undefined && !h.webhook)
        throw new Error(`${name}: harness lacks webhook and states no exemption`);
    });
    afterAll(async () => {
      await h?.teardown();
    });
    const rateLimit = () => h.rateLimit as NonNullable<ContractHarness['rateLimit']>;
    const webhook = () => h.webhook as NonNullable<ContractHarness['webhook']>;

    it('authenticates with valid credentials', async () => {
      await expect(h.probe(h.connect('valid'))).resolves.toBeDefined();
    });

    it('fails with invalid credentials as a non-retryable auth error', async () => {
      const err = await h.probe(h.connect('invalid')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WeftError);
      expect((err as WeftError).code).toBe('auth');
      expect((err as WeftError).retryable).toBe(false);
      expect(JSON.stringify((err as WeftError).toJSON())).not.toMatch(/sk_|secret|password/i);
    });

    it('pages to the end without gaps or repeats', async () => {
      const c = h.connect('valid');
      const before = (await h.paging.listAll(c)).length;
      const count = h.paging.pageSize * 2 + 3;
      await h.paging.seed(count);
      const all = await h.paging.listAll(c);
      expect(all.length).toBe(before + count);
      expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
    });

    if (exempt.rateLimit === undefined) {
      it('backs off on rate limits and still completes', async () => {
        const c = h.connect('valid');
        await rateLimit().limit({ requests: 2, windowMs: 500 });
        try {
          const before = await rateLimit().rejected();
          for (let i = 0; i < 5; i++) await h.probe(c);
          expect(await rateLimit().rejected()).toBeGreaterThan(before);
        } finally {
          await rateLimit().clear();
        }
      });
    }

    it('retries a write whose answer was lost without creating a duplicate', async () => {
      const c = h.connect('valid');
      const key = `contract-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const before = await h.write.count();
      await h.write.dropNextResponse();
      const first = await h.write.run(c, { idempotencyKey: key, attempt: 1 }).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(WeftError);
      expect((first as WeftError).retryable).toBe(true);
      const second = await h.write.run(c, { idempotencyKey: key, attempt: 2 });
      const third = await h.write.run(c, { idempotencyKey: key, attempt: 3 });
      expect(third.id).toBe(second.id);
      expect(await h.write.count()).toBe(before + 1);
    });

    if (exempt.webhook === undefined) {
      describe('webhook verification', () => {
        let delivery: WebhookRequest & { signedAt: number };
        beforeAll(async () => {
          delivery = await webhook().capture(h.connect('valid'));
        });

        it('accepts a genuine delivery', () => {
          const verdict = webhook().trigger.verify(delivery, [webhook().secret], delivery.signedAt);
          expect(verdict).toEqual({ ok: true });
          expect(webhook().trigger.parse(delivery.rawBody).length).toBeGreaterThan(0);
        });

        it('rejects a tampered body', () => {
          // One changed digit (an amount, a timestamp) is the tampering that matters.
          const rawBody = delivery.rawBody.replace(/\d/, (d) => String((Number(d) + 1) % 10));
          const tampered = { ...delivery, rawBody };
          expect(tampered.rawBody).not.toBe(delivery.rawBody);
          expect(webhook().trigger.verify(tampered, [webhook().secret], delivery.signedAt)).toEqual({
            ok: false,
            reason: 'bad_signature',
          });
        });

        it('rejects a wrong secret', () => {
          const verdict = webhook().trigger.verify(delivery, ['whsec_not_the_secret'], delivery.signedAt);
          expect(verdict).toEqual({ ok: false, reason: 'bad_signature' });
        });

        it('rejects a stale timestamp', () => {
          const later = delivery.signedAt + webhook().toleranceMs + 1000;
          expect(webhook().trigger.verify(delivery, [webhook().secret], later)).toEqual({
            ok: false,
            reason: 'stale',
          });
        });
      });
    }
  });
}
