import { SlidingWindowLimiter } from '../common/faults.js';

/**
 * Slack's per-method rate tiers (requests per minute per workspace and app) and the special
 * chat.postMessage limit of about one message per second per channel, with short bursts allowed.
 * The kit's limiter (`/_sandbox/faults` `rateLimit`) is the workspace-wide cap on top of these.
 */
const perMinute: Record<string, number> = {
  'auth.test': 100,
  'chat.update': 50,
  'chat.delete': 50,
  'chat.postEphemeral': 100,
  'conversations.list': 20,
  'conversations.history': 50,
  'conversations.replies': 50,
  'users.list': 20,
  'users.lookupByEmail': 50,
};
/** ~1/s per channel: a burst of 10, then one per second on average. */
const perChannel = { requests: 10, windowMs: 10_000 };
/** Incoming webhooks: ~1 message/s per webhook, same burst allowance. */
const perHook = { requests: 10, windowMs: 10_000 };

export class SlackTiers {
  readonly #limiter = new SlidingWindowLimiter();
  enabled = true;

  /** Milliseconds to wait when over the tier (Retry-After), or undefined when admitted. */
  take(opts: {
    account: string;
    method: string;
    channel?: string | undefined;
    nowMs: number;
  }): number | undefined {
    if (!this.enabled) return undefined;
    let key: string;
    let window: { requests: number; windowMs: number };
    if (opts.method === 'chat.postMessage') {
      key = `${opts.account}|post|${opts.channel ?? ''}`;
      window = perChannel;
    } else if (opts.method === 'incoming-webhook') {
      key = `${opts.account}|hook`;
      window = perHook;
    } else {
      const requests = perMinute[opts.method];
      if (requests === undefined) return undefined;
      key = `${opts.account}|${opts.method}`;
      window = { requests, windowMs: 60_000 };
    }
    const w = this.#limiter.take(key, window, opts.nowMs);
    return w.allowed ? undefined : Math.max(1, w.resetMs);
  }

  get rejected(): number {
    return this.#limiter.rejected;
  }

  clear(): void {
    this.#limiter.clear();
  }
}
