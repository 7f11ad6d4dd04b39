import { FaultSettings } from './faults.js';
import { decodeForm } from './form.js';
import { buildCustomer } from './objects.js';
import type { SandboxState } from './state.js';

/**
 * `/_sandbox/*`: the sandbox's own control surface (not part of Stripe's API): fault injection,
 * statistics, seeding and reset. JSON in, JSON out.
 */
export function adminRoute(
  method: string,
  path: string,
  body: string,
  state: SandboxState,
): { status: number; body: unknown } {
  if (path === '/_sandbox/faults' && method === 'GET') return { status: 200, body: state.faults };
  if (path === '/_sandbox/faults' && method === 'POST') {
    const parsed = FaultSettings.safeParse({ ...state.faults, ...parseJson(body) });
    if (!parsed.success)
      return { status: 400, body: { error: parsed.error.issues.map((i) => i.message).join('; ') } };
    state.faults = parsed.data;
    state.limiter.clear();
    return { status: 200, body: state.faults };
  }
  if (path === '/_sandbox/stats' && method === 'GET') {
    const objects: Record<string, number> = {};
    for (const type of ['customer', 'invoice', 'charge', 'subscription', 'event', 'webhook_endpoint']) {
      objects[type] = state.store.count(type);
    }
    return {
      status: 200,
      body: {
        requests: state.requests,
        rateLimited: state.limiter.rejected,
        deliveries: state.deliveries,
        objects,
      },
    };
  }
  if (path === '/_sandbox/seed' && method === 'POST') {
    const { customers = 0 } = parseJson(body) as { customers?: number };
    const now = state.nowSeconds();
    for (let i = 0; i < Math.min(customers, 10_000); i++) {
      const n = state.store.count('customer') + 1;
      state.store.insert(buildCustomer(decodeForm(`email=seed${n}%40example.com&name=Seed+${n}`), now));
    }
    return { status: 200, body: { seeded: { customers } } };
  }
  if (path === '/_sandbox/reset' && method === 'POST') {
    state.reset();
    return { status: 200, body: { reset: true } };
  }
  return { status: 404, body: { error: `no admin route ${method} ${path}` } };
}

function parseJson(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
