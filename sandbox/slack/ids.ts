import { randomBytes } from 'node:crypto';

/** The one workspace a sandbox plays, and the app installed in it (the caller's bot). */
export const workspace = {
  teamId: 'T0LOOMWISE',
  teamName: 'Loomwise',
  domain: 'loomwise',
  botUserId: 'U0WEFTBOT1',
  botId: 'B0WEFTBOT1',
  appId: 'A0WEFTAPP1',
  botName: 'weft',
  /** The incoming webhook every sandbox has installed into #general. */
  hookId: 'B0WEFTHOOK1',
} as const;

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Slack-looking id: prefix + upper-case alphanumerics (`C…` channel, `U…` user, `Ev…` event). */
export function slackId(prefix: string, length = 10): string {
  let out = '';
  for (const b of randomBytes(length)) out += alphabet[b % alphabet.length];
  return `${prefix}${out}`;
}

/** The same id for the same seed text on every restart, so a seeded workspace is stable. */
export function stableSlackId(prefix: string, seedText: string, length = 10): string {
  let h = 0x811c9dc5;
  let out = '';
  for (let i = 0; out.length < length; i++) {
    h ^= seedText.charCodeAt(i % Math.max(1, seedText.length)) + i;
    h = Math.imul(h, 0x01000193) >>> 0;
    out += alphabet[h % alphabet.length];
  }
  return `${prefix}${out}`;
}

/** `1712345678.123456` ↔ microseconds since the epoch (fits a double exactly until year 2255). */
export function tsFromMicros(micros: number): string {
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

export function microsFromTs(ts: string): number | undefined {
  const m = /^(\d{10})\.(\d{6})$/.exec(ts);
  return m ? Number(m[1]) * 1e6 + Number(m[2]) : undefined;
}
