import { randomBytes } from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

// Ids are made on the hot path (several per webhook); one randomBytes call per 256 ids is far
// cheaper than one per id.
let pool = randomBytes(4096);
let poolOffset = 0;

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
  if (poolOffset + 16 > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  let rand = '';
  for (let i = poolOffset; i < poolOffset + 16; i++) rand += alphabet[(pool[i] as number) & 31];
  poolOffset += 16;
  return `${prefix}_${time}${rand}`;
}
