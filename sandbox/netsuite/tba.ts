import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The sandbox's own check of NetSuite token-based authentication (OAuth 1.0a, RFC 5849, with
 * HMAC-SHA256). Written independently of the connector's signer (src/connector/oauth1.ts) so a
 * mistake in one is caught by the other instead of being agreed with.
 */

export interface TbaCredentials {
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

export type TbaVerdict =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'not_oauth'
        | 'missing_parameter'
        | 'wrong_realm'
        | 'unknown_consumer'
        | 'unknown_token'
        | 'unsupported_signature_method'
        | 'unsupported_version'
        | 'stale_timestamp'
        | 'bad_signature'
        | 'replayed_nonce';
    };

/** RFC 5849 §3.6: every byte but ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX (upper-case). */
export function rfc3986(value: string): string {
  // Most values (keys, nonces, digits) need no encoding; skip the byte loop for them.
  if (/^[A-Za-z0-9\-._~]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `OAuth realm="…", oauth_x="…"` → decoded parameters; undefined when not an OAuth header. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (header === undefined || !/^OAuth\s/i.test(header)) return undefined;
  const params = new Map<string, string>();
  for (const m of header.slice(6).matchAll(/([A-Za-z0-9_]+)\s*=\s*"([^"]*)"/g)) {
    const [, key, value] = m;
    if (key === undefined || value === undefined) continue;
    try {
      params.set(key, decodeURIComponent(value));
    } catch {
      params.set(key, value);
    }
  }
  return params;
}

/** Query parameters as RFC 5849 §3.4.1.3.1 reads them: form-urlencoded rules, duplicates kept. */
function queryParams(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

/** The signature base string the client should have signed (RFC 5849 §3.4.1). */
export function signatureBaseString(method: string, url: URL, oauth: Map<string, string>): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of oauth)
    if (k !== 'realm' && k !== 'oauth_signature') pairs.push([rfc3986(k), rfc3986(v)]);
  for (const [k, v] of queryParams(url.search.replace(/^\?/, ''))) pairs.push([rfc3986(k), rfc3986(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const params = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  // URL.host already drops a default port; scheme and host are case-insensitive, the path is not.
  const baseUri = `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
  return `${method.toUpperCase()}&${rfc3986(baseUri)}&${rfc3986(params)}`;
}

/**
 * Checks one request's TBA header: realm, known consumer and token, HMAC-SHA256, a timestamp
 * within `toleranceMs`, the signature over the recomputed base string, and a nonce not seen
 * before in the freshness window (a replayed request is refused even with a valid signature).
 */
export class TbaVerifier {
  /** Nonces seen, by the `oauth_timestamp` (seconds) they were signed with. */
  readonly #seen = new Map<number, Set<string>>();

  constructor(
    private readonly opts: {
      realm: string;
      credentials: () => readonly TbaCredentials[];
      now: () => number;
      toleranceMs?: number;
    },
  ) {}

  verify(req: { method: string; url: URL; authorization: string | undefined }): TbaVerdict {
    const p = parseOAuthHeader(req.authorization);
    if (p === undefined) return { ok: false, reason: 'not_oauth' };
    const required = [
      'realm',
      'oauth_consumer_key',
      'oauth_token',
      'oauth_signature_method',
      'oauth_timestamp',
      'oauth_nonce',
      'oauth_signature',
    ];
    if (required.some((k) => !p.get(k))) return { ok: false, reason: 'missing_parameter' };
    if (p.get('realm') !== this.opts.realm) return { ok: false, reason: 'wrong_realm' };
    const version = p.get('oauth_version');
    if (version !== undefined && version !== '1.0') return { ok: false, reason: 'unsupported_version' };
    if (p.get('oauth_signature_method') !== 'HMAC-SHA256')
      return { ok: false, reason: 'unsupported_signature_method' };
    const byConsumer = this.opts.credentials().filter((c) => c.consumerKey === p.get('oauth_consumer_key'));
    if (byConsumer.length === 0) return { ok: false, reason: 'unknown_consumer' };
    const cred = byConsumer.find((c) => c.tokenId === p.get('oauth_token'));
    if (cred === undefined) return { ok: false, reason: 'unknown_token' };

    const now = this.opts.now();
    const tolerance = this.opts.toleranceMs ?? 5 * 60_000;
    const timestamp = Number(p.get('oauth_timestamp'));
    if (!Number.isInteger(timestamp) || Math.abs(now - timestamp * 1000) > tolerance)
      return { ok: false, reason: 'stale_timestamp' };

    const key = `${rfc3986(cred.consumerSecret)}&${rfc3986(cred.tokenSecret)}`;
    const expected = createHmac('sha256', key)
      .update(signatureBaseString(req.method, req.url, p))
      .digest();
    const given = Buffer.from(p.get('oauth_signature') ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'bad_signature' };

    // Only a correctly signed request uses up its nonce. Nonces are kept by their request's
    // timestamp: once that timestamp is outside the tolerance, a replay is refused as stale
    // anyway, so its whole second of nonces can be forgotten at once.
    const nonceKey = `${cred.consumerKey}:${cred.tokenId}:${p.get('oauth_nonce')}`;
    this.#forgetOlderThan(now - tolerance);
    let second = this.#seen.get(timestamp);
    if (second?.has(nonceKey)) return { ok: false, reason: 'replayed_nonce' };
    if (second === undefined) {
      second = new Set();
      this.#seen.set(timestamp, second);
    }
    second.add(nonceKey);
    return { ok: true };
  }

  #lastSweep = 0;

  #forgetOlderThan(cutoffMs: number): void {
    // A sweep walks the seconds, not the nonces (one entry per second of timestamps), and runs
    // at most once a second. (Walking every nonce on every request once 200,000 were remembered
    // made a bulk load quadratic: 0.7 ms per request at 220,000.)
    if (cutoffMs - this.#lastSweep < 1000) return;
    this.#lastSweep = cutoffMs;
    for (const second of this.#seen.keys()) if (second * 1000 < cutoffMs) this.#seen.delete(second);
  }
}
