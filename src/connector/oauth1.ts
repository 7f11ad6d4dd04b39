import { createHmac } from 'node:crypto';

/** The credentials of NetSuite token-based authentication (OAuth 1.0a, HMAC-SHA256). */
export interface NetSuiteTbaCredentials {
  /** Account id as shown in the URL, e.g. `1234567` or `1234567-sb1`; the realm is derived from it. */
  accountId: string;
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

const unreserved = /^[A-Za-z0-9\-._~]*$/;

/**
 * RFC 3986 percent-encoding as OAuth 1.0a requires (RFC 5849 §3.6): `encodeURIComponent` leaves
 * `!'()*` alone, OAuth does not.
 */
export function oauthPercentEncode(value: string): string {
  // Most values (keys, ids, timestamps, nonces) need no encoding: skip the two string passes.
  if (unreserved.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** NetSuite realms are the account id upper-cased with `-` turned into `_` (`1234567_SB1`). */
export function netsuiteRealm(accountId: string): string {
  return accountId.toUpperCase().replace(/-/g, '_');
}

/**
 * The OAuth 1.0a signature base string (RFC 5849 §3.4.1): method, base URI (no query, lower-case
 * scheme and host, default port dropped) and the sorted, encoded parameters (oauth_* plus query).
 */
export function oauthBaseString(method: string, url: URL, params: Record<string, string>): string {
  const all: [string, string][] = Object.entries(params).map(([k, v]) => [
    oauthPercentEncode(k),
    oauthPercentEncode(v),
  ]);
  for (const [k, v] of url.searchParams) all.push([oauthPercentEncode(k), oauthPercentEncode(v)]);
  all.sort(([ak, av], [bk, bv]) => (ak === bk ? compare(av, bv) : compare(ak, bk)));
  const normalized = all.map(([k, v]) => `${k}=${v}`).join('&');
  const base = `${url.protocol.toLowerCase()}//${url.host.toLowerCase()}${url.pathname}`;
  return [method.toUpperCase(), oauthPercentEncode(base), oauthPercentEncode(normalized)].join('&');
}

/**
 * The `Authorization` header for one NetSuite request. Timestamp and nonce are parameters so the
 * signature is reproducible in tests; callers pass the clock and a random nonce.
 *
 * @example
 * netsuiteTbaHeader({ credentials, method: 'GET', url: new URL(u), timestamp: 1700000000, nonce: 'abc' })
 */
export function netsuiteTbaHeader(opts: {
  credentials: NetSuiteTbaCredentials;
  method: string;
  url: URL;
  /** Seconds since the epoch. */
  timestamp: number;
  nonce: string;
}): string {
  const c = opts.credentials;
  const oauth: Record<string, string> = {
    oauth_consumer_key: c.consumerKey,
    oauth_nonce: opts.nonce,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(opts.timestamp),
    oauth_token: c.tokenId,
    oauth_version: '1.0',
  };
  const base = oauthBaseString(opts.method, opts.url, oauth);
  const key = `${oauthPercentEncode(c.consumerSecret)}&${oauthPercentEncode(c.tokenSecret)}`;
  const signature = createHmac('sha256', key).update(base).digest('base64');
  const fields = { realm: netsuiteRealm(c.accountId), ...oauth, oauth_signature: signature };
  return `OAuth ${Object.entries(fields)
    .map(([k, v]) => `${k}="${oauthPercentEncode(v)}"`)
    .join(', ')}`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
