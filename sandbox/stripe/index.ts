import { type SandboxServerOptions, type SystemSandbox, startSandboxServer } from '../common/server.js';
import { stripeSystem } from './system.js';

export interface StripeSandboxOptions extends SandboxServerOptions {
  /** Secret keys the sandbox accepts (default `sk_test_weft_sandbox`). */
  apiKeys?: string[];
  /** The version answered when a request pins none: the account default. */
  apiVersion?: string;
}

export interface StripeSandbox extends SystemSandbox {
  /** The first accepted secret key. */
  apiKey: string;
}

/**
 * Starts a local Stripe on the shared sandbox kit: `/v1` customers, invoices, charges,
 * subscriptions, events and webhook endpoints, persisted in SQLite, with the kit's `/_sandbox`
 * admin surface (faults, stats, webhooks, reset) plus `POST /_sandbox/seed {customers}`.
 *
 * @example
 * const stripe = await startStripeSandbox({ port: 0, seedBusiness: true });
 * // stripe.connection → { baseUrl: stripe.url, auth: { kind: 'bearer', token: 'sk_test_weft_sandbox' } }
 */
export async function startStripeSandbox(opts: StripeSandboxOptions = {}): Promise<StripeSandbox> {
  const apiKeys = opts.apiKeys ?? ['sk_test_weft_sandbox'];
  const running = await startSandboxServer(
    (kit) => stripeSystem(kit, { apiKeys, apiVersion: opts.apiVersion ?? '2026-07-29.dahlia' }),
    opts,
    // Stripe's test-mode budget: 25 requests per second per account.
    { requests: 25, windowMs: 1000 },
  );
  const apiKey = apiKeys[0] ?? '';
  return {
    ...running,
    system: 'stripe',
    apiKey,
    connection: { baseUrl: running.url, auth: { kind: 'bearer', token: apiKey } },
  };
}
