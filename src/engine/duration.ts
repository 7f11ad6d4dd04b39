import type { Duration } from '../contract/flow.js';

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `5m` → 300000. Numbers are already milliseconds. The schema guarantees the format. */
export function durationMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!match) throw new Error(`unreachable: duration ${d} passed the schema`);
  return Number(match[1]) * unitMs[match[2] as keyof typeof unitMs];
}
