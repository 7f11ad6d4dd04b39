/**
 * The times at which a worker must claim again (durable timers and backoffs of runs it gave up),
 * with one timer armed for the earliest. Keeping every time, not only the earliest, matters once
 * the safety-net poll is slow (cluster mode): a run whose timer is later than another's would
 * otherwise wait for the poll after the earlier one fired.
 *
 * @example
 * const timers = new WakeTimers({ fire: () => worker.wake(), now: Date.now });
 * timers.add(Date.now() + 500);
 */
export class WakeTimers {
  /** Ascending. */
  private readonly times: number[] = [];
  private armed: { at: number; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly options: {
      fire: () => void;
      now: () => number;
      /** Most times kept; beyond it the latest are dropped and left to the poll. Default 10 000. */
      max?: number;
    },
  ) {}

  add(at: number, now: number = this.options.now()): void {
    let lo = 0;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) < at) lo = mid + 1;
      else hi = mid;
    }
    if (this.times[lo] === at) return;
    this.times.splice(lo, 0, at);
    if (this.times.length > (this.options.max ?? 10_000)) this.times.pop();
    this.arm(now);
  }

  clear(): void {
    if (this.armed) clearTimeout(this.armed.timer);
    this.armed = undefined;
    this.times.length = 0;
  }

  private arm(now: number): void {
    const next = this.times[0];
    if (next === undefined || (this.armed !== undefined && this.armed.at <= next)) return;
    if (this.armed) clearTimeout(this.armed.timer);
    const timer = setTimeout(
      () => {
        this.armed = undefined;
        const at = this.options.now();
        let due = 0;
        while (due < this.times.length && (this.times[due] as number) <= at) due++;
        this.times.splice(0, due);
        if (due > 0) this.options.fire();
        this.arm(at);
      },
      Math.max(0, next - now),
    );
    timer.unref();
    this.armed = { at: next, timer };
  }
}
