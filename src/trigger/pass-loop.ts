/**
 * @module trigger/pass-loop
 * The loop both the Scheduler and the Poller run: do a pass, sleep until the pass says the next
 * one is due (at most `maxSleepMs`, on an unref'd timer), and do one at once when woken. A wake
 * during a pass is not lost: the pass runs again right after. A failed pass is retried after
 * `retryMs`.
 */
export interface PassLoopOptions {
  /** One pass; resolves with when the next one is due (epoch ms). */
  pass(): Promise<number>;
  now(): number;
  maxSleepMs: number;
  retryMs: number;
  onError(err: unknown): void;
  /** Subscribes `wake` to changes that need a pass now; returns the unsubscribe. */
  subscribe(wake: () => void): () => void;
}

export class PassLoop {
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: PassLoopOptions) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.options.subscribe(() => this.wake());
    this.wake();
  }

  /** Stops passing and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (!this.started) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // A change reported after the loop's last check must not wait for the timer.
      if (this.again) this.wake();
    });
  }

  private async loop(): Promise<void> {
    let wakeAt: number;
    do {
      this.again = false;
      wakeAt = await this.options.pass().catch((err: unknown) => {
        this.options.onError(err);
        return this.options.now() + this.options.retryMs;
      });
    } while (this.again && this.started);
    if (!this.started) return;
    const delay = Math.min(Math.max(wakeAt - this.options.now(), 1), this.options.maxSleepMs);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }
}
