import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Time-ordered ids (`run_01jd…`): 10 characters of milliseconds then 16 random ones, Crockford
 * base32. Sorting ids sorts by creation time, which makes cursors and "newest first" cheap.
 *
 * @example newId('run') // 'run_01jdx3k9z2a7m4q8r1t5v6w0yb'
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += alphabet[b & 31];
  return `${prefix}_${time}${rand}`;
}
