import type { TestProject } from 'vitest/node';
import { type PostgresServer, startPostgres } from './postgres.js';

/**
 * vitest globalSetup: one throwaway PostgreSQL server for the whole run, so test files create
 * fresh databases on it (`createDatabase`, ~50 ms) instead of each starting a server (~1 s).
 * Tests read its URL with `inject('weftPostgresUrl')` (see `postgresUrl()` in postgres.ts).
 *
 * With `WEFT_TEST_POSTGRES_URL` set, that server is used instead and none is started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.WEFT_TEST_POSTGRES_URL;
  if (external !== undefined && external !== '') {
    project.provide('weftPostgresUrl', external);
    return async () => {};
  }
  const server: PostgresServer = await startPostgres();
  project.provide('weftPostgresUrl', server.url);
  return () => server.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the shared test PostgreSQL server's `weft_test` database; unset without globalSetup. */
    weftPostgresUrl?: string;
  }
}
