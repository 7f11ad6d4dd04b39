import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { netsuiteTbaHeader, oauthPercentEncode } from './oauth1.js';

describe('NetSuite TBA (OAuth 1.0a, HMAC-SHA256)', () => {
  const credentials = {
    accountId: '1234567-sb1',
    consumerKey: 'ck',
    consumerSecret: 'cs+1',
    tokenId: 'tk',
    tokenSecret: 'ts',
  };
  const url = new URL(
    'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?offset=10&limit=5',
  );

  it('signs the RFC 5849 base string with the encoded secrets as key', () => {
    // The vector is written out by hand from RFC 5849 §3.4.1 (not produced by the code under test).
    const base =
      'GET&https%3A%2F%2F1234567-sb1.suitetalk.api.netsuite.com%2Fservices%2Frest%2Frecord%2Fv1%2Fcustomer&' +
      'limit%3D5%26oauth_consumer_key%3Dck%26oauth_nonce%3Dabc123%26oauth_signature_method%3DHMAC-SHA256%26' +
      'oauth_timestamp%3D1700000000%26oauth_token%3Dtk%26oauth_version%3D1.0%26offset%3D10';
    const expected = createHmac('sha256', 'cs%2B1&ts').update(base).digest('base64');
    const header = netsuiteTbaHeader({
      credentials,
      method: 'get',
      url,
      timestamp: 1_700_000_000,
      nonce: 'abc123',
    });
    expect(header).toContain(`oauth_signature="${encodeURIComponent(expected)}"`);
    expect(header.startsWith('OAuth realm="1234567_SB1", ')).toBe(true);
    expect(header).toContain('oauth_signature_method="HMAC-SHA256"');
    expect(header).not.toContain('cs+1');
    expect(header).not.toContain('"ts"');
  });

  it('changes with the nonce and timestamp', () => {
    const a = netsuiteTbaHeader({ credentials, method: 'GET', url, timestamp: 1, nonce: 'x' });
    const b = netsuiteTbaHeader({ credentials, method: 'GET', url, timestamp: 1, nonce: 'y' });
    expect(a).not.toBe(b);
  });

  it('percent-encodes the RFC 3986 reserved set', () => {
    expect(oauthPercentEncode("a b!*'()~")).toBe('a%20b%21%2A%27%28%29~');
  });
});
