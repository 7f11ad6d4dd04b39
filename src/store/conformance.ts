import { describe } from 'vitest';
import { adminAndAudit } from './conformance/admin-audit.js';
import { claimsAndLeases } from './conformance/claims.js';
import { connectionsStore } from './conformance/connections.js';
import { errorQueue } from './conformance/exceptions.js';
import { useFreshStore } from './conformance/fixtures.js';
import { flowsAndEvents } from './conformance/flows-events.js';
import { limitsAndInspection } from './conformance/limits.js';
import { notifications } from './conformance/notifications.js';
import { runProgress } from './conformance/progress.js';
import { triggerCursors } from './conformance/trigger-cursors.js';
import type { Store } from './port.js';

/**
 * The Store conformance suite: registers vitest blocks that prove the semantics of the Store port
 * against any implementation. Each test opens a fresh store with `open`, migrates it, and closes
 * it. Times are explicit `now` values, so nothing sleeps; notifications are awaited with a bound.
 *
 * @example
 * // src/store/postgres/postgres-store.test.ts
 * describeStoreConformance('postgres', async () => PostgresStore.open({ url: freshDatabaseUrl() }));
 */
export function describeStoreConformance(name: string, open: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    const ctx = useFreshStore(open);
    flowsAndEvents(ctx);
    claimsAndLeases(ctx);
    runProgress(ctx);
    errorQueue(ctx);
    adminAndAudit(ctx);
    connectionsStore(ctx);
    notifications(ctx);
    limitsAndInspection(ctx);
    triggerCursors(ctx);
  });
}
