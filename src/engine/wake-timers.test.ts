import { afterEach, describe, expect, it, vi } from 'vitest';
import { WakeTimers } from './wake-timers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('WakeTimers', () => {
  it('fires at every time added, not only the earliest', () => {
    vi.useFakeTimers({ now: 1_000 });
    const fired: number[] = [];
    const timers = new WakeTimers({ fire: () => fired.push(Date.now()), now: () => Date.now() });
    timers.add(1_020);
    timers.add(1_050); // later than the armed timer: kept, armed once the first fires
    timers.add(1_010); // earlier: re-arms
    timers.add(1_050); // a duplicate fires once
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([1_010, 1_020, 1_050]);
  });

  it('forgets everything on clear, and drops the latest times beyond its cap', () => {
    vi.useFakeTimers({ now: 0 });
    const fired: number[] = [];
    const timers = new WakeTimers({ fire: () => fired.push(Date.now()), now: () => Date.now(), max: 2 });
    timers.add(30);
    timers.add(10);
    timers.add(20); // over the cap: 30 is dropped (the poll finds it)
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([10, 20]);
    timers.add(200);
    timers.clear();
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([10, 20]);
  });
});
