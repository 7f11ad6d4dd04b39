import { createHmac, randomBytes } from 'node:crypto';
import type { RecordStore } from '../common/record-store.js';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { sfError } from './errors.js';
import { integrationUserId } from './objects.js';

export interface SalesforceCredentials {
  clientId: string;
  clientSecret: string;
  /** Accepted by the `refresh_token` grant (a connected app's long-lived token). */
  refreshToken: string;
}

/** The sandbox org's id: the rate-limit and idempotency scope of every session. */
export const orgId = '00DWf0000000001EAA';

/**
 * The OAuth 2 token endpoint (`POST /services/oauth2/token`, form-encoded, client credentials in
 * the body or as HTTP Basic) for the `client_credentials` and `refresh_token` grants, and the
 * sessions it issues. Sessions live in SQLite, so a restarted sandbox on a file keeps them; a
 * session past its timeout answers 401 INVALID_SESSION_ID, as an expired Salesforce session does.
 */
export class SalesforceAuth {
  readonly #insert;
  readonly #lookup;

  constructor(
    store: RecordStore,
    private readonly credentials: SalesforceCredentials,
    private readonly opts: { instanceUrl: () => string; sessionTimeoutMs: number; now: () => number },
  ) {
    store.db.exec(
      'CREATE TABLE IF NOT EXISTS salesforce_sessions (token TEXT PRIMARY KEY, issued_ms INTEGER NOT NULL)',
    );
    this.#insert = store.db.prepare('INSERT INTO salesforce_sessions (token, issued_ms) VALUES (?, ?)');
    this.#lookup = store.db.prepare('SELECT issued_ms AS issuedMs FROM salesforce_sessions WHERE token = ?');
  }

  /** The org of a valid `Authorization: Bearer <session>` (or the older `OAuth <session>`), or the 401. */
  session(req: SandboxRequest): string | SandboxResponse {
    const m = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const row = m ? (this.#lookup.get(m[1]) as { issuedMs: number } | undefined) : undefined;
    if (row === undefined || this.opts.now() - row.issuedMs > this.opts.sessionTimeoutMs) {
      return {
        ...sfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'),
        headers: { 'www-authenticate': 'Token' },
      };
    }
    return orgId;
  }

  /** `POST /services/oauth2/token`. */
  token(req: SandboxRequest): SandboxResponse {
    if (req.method !== 'POST') return oauthError(405, 'invalid_request', 'must use HTTP POST');
    const form = new URLSearchParams(req.body);
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    }
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials' && grant !== 'refresh_token') {
      return oauthError(400, 'unsupported_grant_type', 'grant type not supported');
    }
    if (clientId !== this.credentials.clientId || clientSecret !== this.credentials.clientSecret) {
      return oauthError(400, 'invalid_client', 'invalid client credentials');
    }
    if (grant === 'refresh_token' && form.get('refresh_token') !== this.credentials.refreshToken) {
      return oauthError(400, 'invalid_grant', 'expired access/refresh token');
    }
    const issued = this.opts.now();
    const token = `${orgId}!${randomBytes(24).toString('base64url')}`;
    this.#insert.run(token, issued);
    const instanceUrl = this.opts.instanceUrl();
    const id = `${instanceUrl}/id/${orgId}/${integrationUserId}`;
    // Salesforce sends no expires_in: a session lasts the org's session timeout.
    return {
      status: 200,
      body: {
        access_token: token,
        instance_url: instanceUrl,
        id,
        token_type: 'Bearer',
        issued_at: String(issued),
        signature: createHmac('sha256', this.credentials.clientSecret)
          .update(`${id}${issued}`)
          .digest('base64'),
        scope: 'api',
      },
    };
  }
}

function oauthError(status: number, error: string, description: string): SandboxResponse {
  return { status, body: { error, error_description: description } };
}
