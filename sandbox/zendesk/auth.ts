import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { unauthenticated } from './responses.js';

export interface ZendeskCredentials {
  agentEmail: string;
  apiToken: string;
  oauthToken: string;
}

/**
 * Zendesk's two live schemes: an API token as Basic `{email}/token:{token}`, and an OAuth access
 * token as Bearer. Password Basic auth is disabled for new accounts, so it is refused here too.
 * The account (rate-limit and idempotency scope) is the agent's email.
 */
export function authenticate(req: SandboxRequest, creds: ZendeskCredentials): string | SandboxResponse {
  const header = req.headers.authorization ?? '';
  const [scheme, value = ''] = header.split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer' && safeEqual(value, creds.oauthToken)) return creds.agentEmail;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, Math.max(0, colon));
    const secret = decoded.slice(colon + 1);
    if (
      colon > 0 &&
      user.toLowerCase() === `${creds.agentEmail.toLowerCase()}/token` &&
      safeEqual(secret, creds.apiToken)
    ) {
      return creds.agentEmail;
    }
  }
  return unauthenticated();
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.equals(y);
}
