import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import type { WeftCluster } from './cluster.js';
import { acquirePostgres, type PostgresServer, TestDatabases } from './postgres.js';
import { startTargetServer, type TargetServer } from './target-server.js';

/** What a cluster test works with: its own database, a pool on it, a target System, a temp dir. */
export interface ClusterWorld {
  databaseUrl: string;
  pool: pg.Pool;
  target: TargetServer;
  tmp: string;
  /** Registers the cluster so it is stopped first when the file ends. */
  adopt(cluster: WeftCluster): WeftCluster;
}

/**
 * Registers the setup every cluster test file shares (the suite's PostgreSQL, a fresh database
 * per test, a target server, a temp dir) and the teardown in the right order: processes first,
 * then the pool, the target, the databases and the server.
 *
 * @example
 * const world = useClusterWorld('cluster_kill');
 * it('…', async () => { const { databaseUrl, pool, target, tmp, adopt } = await world(); … });
 */
export function useClusterWorld(name: string): () => Promise<ClusterWorld> {
  let server: PostgresServer | undefined;
  let databases: TestDatabases | undefined;
  const clusters: WeftCluster[] = [];
  const pools: pg.Pool[] = [];
  const targets: TargetServer[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `weft-${name}-`));

  beforeAll(async () => {
    server = await acquirePostgres(inject('weftPostgresUrl'));
    databases = new TestDatabases(server.url, name);
  });

  afterAll(async () => {
    for (const cluster of clusters) await cluster.stop(2_000);
    for (const pool of pools) await pool.end();
    for (const target of targets) await target.close();
    await databases?.dropAll();
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  return async () => {
    if (databases === undefined) throw new Error('useClusterWorld: call it inside a test');
    const databaseUrl = await databases.create();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    pools.push(pool);
    const target = await startTargetServer();
    targets.push(target);
    return {
      databaseUrl,
      pool,
      target,
      tmp,
      adopt: (cluster) => {
        clusters.push(cluster);
        return cluster;
      },
    };
  };
}
