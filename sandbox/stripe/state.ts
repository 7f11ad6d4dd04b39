import { FaultSettings, SandboxRateLimiter } from './faults.js';
import { seedPrices } from './objects-payments.js';
import { SandboxStore } from './store.js';

/** Everything one running sandbox holds; shared by the API handler and the admin routes. */
export class SandboxState {
  readonly store: SandboxStore;
  readonly limiter = new SandboxRateLimiter();
  faults: FaultSettings = FaultSettings.parse({});
  requests = 0;
  deliveries = { succeeded: 0, failed: 0 };
  /** Idempotency keys whose first request is still executing (Stripe answers 409 to a second). */
  readonly inflight = new Set<string>();
  readonly #now: () => number;

  constructor(opts: { dbPath?: string; now?: () => number }) {
    this.store = new SandboxStore(opts.dbPath);
    this.#now = opts.now ?? Date.now;
    this.#seed();
  }

  nowMs(): number {
    return this.#now();
  }

  nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  reset(): void {
    this.store.reset();
    this.limiter.clear();
    this.faults = FaultSettings.parse({});
    this.requests = 0;
    this.deliveries = { succeeded: 0, failed: 0 };
    this.#seed();
  }

  #seed(): void {
    for (const price of seedPrices(this.nowSeconds())) {
      if (this.store.get('price', price.id) === undefined) this.store.insert(price);
    }
  }
}
