/**
 * Salesforce record ids and datetimes as the REST API writes them: 18-character ids (a 15-character
 * case-sensitive id plus a 3-character suffix that makes it case-insensitive) and datetimes like
 * `2024-05-01T12:00:00.000+0000`.
 */

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const suffixAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 3-character suffix: one character per 5-character chunk, a bit per upper-case letter. */
export function idSuffix(id15: string): string {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let flags = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i] ?? '';
      if (c >= 'A' && c <= 'Z') flags |= 1 << i;
    }
    out += suffixAlphabet[flags];
  }
  return out;
}

/** A new 18-character id: key prefix, a fixed "instance" part, a base-62 counter, the suffix. */
export function makeId(keyPrefix: string, counter: number): string {
  let n = counter;
  let digits = '';
  do {
    digits = base62[n % 62] + digits;
    n = Math.floor(n / 62);
  } while (n > 0);
  const id15 = `${keyPrefix}Wf0${digits.padStart(9, '0')}`;
  return id15 + idSuffix(id15);
}

/**
 * The 18-character form of a 15- or 18-character id, or undefined when it is not id-shaped.
 * An 18-character id is accepted in any case, as Salesforce does (the suffix restores the case).
 */
export function normaliseId(value: string): string | undefined {
  if (/^[a-zA-Z0-9]{15}$/.test(value)) return value + idSuffix(value);
  if (!/^[a-zA-Z0-9]{18}$/.test(value)) return undefined;
  const suffix = value.slice(15).toUpperCase();
  let id15 = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    const flags = suffixAlphabet.indexOf(suffix[chunk] ?? '');
    if (flags < 0) return undefined;
    for (let i = 0; i < 5; i++) {
      const c = value[chunk * 5 + i] ?? '';
      id15 += flags & (1 << i) ? c.toUpperCase() : c.toLowerCase();
    }
  }
  return id15 + suffix;
}

/** `2024-05-01T12:00:00.000+0000`: the REST API's datetime format. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** Epoch ms of a datetime in the REST or SOQL forms (`Z`, `+0000`, `+00:00`), or undefined. */
export function parseDateTime(value: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})$/.exec(value);
  if (!m) return undefined;
  const zone = m[2] === 'Z' ? 'Z' : `${m[2]?.slice(0, 3)}:${m[2]?.slice(-2)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}
