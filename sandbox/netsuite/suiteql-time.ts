import { SuiteQlError } from './suiteql-parser.js';

/**
 * Oracle-style date formats for `TO_CHAR`, `TO_TIMESTAMP` and `TO_DATE`: YYYY, MM, DD, HH24,
 * HH / HH12, MI, SS, AM / PM and quoted literals (`"T"`). The sandbox runs in UTC; a real account
 * uses the user's time zone preference, the same on the way out (TO_CHAR) and in (TO_TIMESTAMP).
 */

const tokenRe = /YYYY|HH24|HH12|HH|MI|SS|MM|DD|AM|PM|"[^"]*"|./gi;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

export function formatTime(ms: number, format: string): string {
  const d = new Date(ms);
  return format.replace(tokenRe, (token) => {
    switch (token.toUpperCase()) {
      case 'YYYY':
        return pad(d.getUTCFullYear(), 4);
      case 'MM':
        return pad(d.getUTCMonth() + 1);
      case 'DD':
        return pad(d.getUTCDate());
      case 'HH24':
        return pad(d.getUTCHours());
      case 'HH':
      case 'HH12':
        return pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12);
      case 'MI':
        return pad(d.getUTCMinutes());
      case 'SS':
        return pad(d.getUTCSeconds());
      case 'AM':
      case 'PM':
        return d.getUTCHours() < 12 ? 'AM' : 'PM';
      default:
        return token.startsWith('"') ? token.slice(1, -1) : token;
    }
  });
}

export function parseTime(text: string, format: string): number {
  const parts: string[] = [];
  let pattern = '^';
  for (const token of format.match(tokenRe) ?? []) {
    const upper = token.toUpperCase();
    if (upper === 'YYYY') pattern += '(\\d{4})';
    else if (['MM', 'DD', 'HH24', 'HH', 'HH12', 'MI', 'SS'].includes(upper)) pattern += '(\\d{1,2})';
    else if (upper === 'AM' || upper === 'PM') pattern += '([AaPp][Mm])';
    else {
      const literal = token.startsWith('"') ? token.slice(1, -1) : token;
      pattern += literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    parts.push(upper);
  }
  const m = new RegExp(`${pattern}$`).exec(text.trim());
  if (m === null) throw new SuiteQlError(`"${text}" does not match the format "${format}"`);
  const v: Record<string, number> = { YYYY: 1970, MM: 1, DD: 1, HH24: 0, MI: 0, SS: 0 };
  let hour12: number | undefined;
  let pm = false;
  parts.forEach((p, i) => {
    const raw = m[i + 1] ?? '';
    if (p === 'AM' || p === 'PM') pm = raw.toUpperCase() === 'PM';
    else if (p === 'HH' || p === 'HH12') hour12 = Number(raw);
    else v[p] = Number(raw);
  });
  const hour = hour12 === undefined ? (v.HH24 ?? 0) : (hour12 % 12) + (pm ? 12 : 0);
  const ms = Date.UTC(v.YYYY ?? 1970, (v.MM ?? 1) - 1, v.DD ?? 1, hour, v.MI ?? 0, v.SS ?? 0);
  if (Number.isNaN(ms)) throw new SuiteQlError(`"${text}" is not a valid date`);
  return ms;
}

/** What a date column shows without TO_CHAR: the user's date format (the sandbox uses M/D/YYYY). */
export function defaultDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
}
