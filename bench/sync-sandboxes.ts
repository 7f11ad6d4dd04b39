/**
 * The sandboxes of the W2 bulk-sync benchmark (bench/bulk-sync.ts), in a process of their own so
 * that their CPU and memory are not counted as Weft's: the Salesforce org (the CRM) and the
 * NetSuite account (the ERP), both in memory. Prints one JSON line on stdout with their URLs and
 * Connection fields, then serves until stdin closes or a signal arrives.
 *
 * Also a **null ERP**: a bare `node:http` server that answers every request as NetSuite answers an
 * upsert (204 + `Location`) without checking or storing anything. Pointing Weft's ERP Connection
 * at it measures Weft's side of the sync alone, against a target that costs next to nothing.
 *
 *   node dist/bench/sync-sandboxes.js --netsuite-concurrency 1000
 *
 * `--netsuite-concurrency`: requests NetSuite admits in flight (the real Tier-1 default is 15; the
 * benchmark raises it so that the sandbox's governance is not what is measured).
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startNetSuiteSandbox } from '../sandbox/netsuite/index.js';
import { startSalesforceSandbox } from '../sandbox/salesforce/index.js';

/** What the parent reads from the first stdout line. */
export interface SyncSandboxes {
  pid: number;
  salesforce: { url: string; connection: unknown };
  netsuite: { url: string; connection: unknown; concurrencyLimit: number };
  /** `GET <url>/_null/stats` answers `{ requests }`. */
  nullErp: { url: string };
}

/** Answers every request with 204 and a record Location, as NetSuite answers an upsert. */
async function startNullErp(): Promise<{ url: string; close(): Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url === '/_null/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests }));
      return;
    }
    // The body is read (and dropped) so keep-alive connections stay usable.
    req.resume();
    req.on('end', () => {
      requests += 1;
      const location = `http://${req.headers.host ?? '127.0.0.1'}/services/rest/record/v1/customer/${requests}`;
      res.writeHead(204, { location }).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

async function main(): Promise<void> {
  const concurrencyLimit = flag('--netsuite-concurrency', 1000);
  const salesforce = await startSalesforceSandbox({ port: 0 });
  const netsuite = await startNetSuiteSandbox({ port: 0, concurrencyLimit });
  const nullErp = await startNullErp();
  const ready: SyncSandboxes = {
    pid: process.pid,
    salesforce: { url: salesforce.url, connection: salesforce.connection },
    netsuite: { url: netsuite.url, connection: netsuite.connection, concurrencyLimit },
    nullErp: { url: nullErp.url },
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = async () => {
    await Promise.allSettled([salesforce.close(), netsuite.close(), nullErp.close()]);
    process.exit(0);
  };
  // The parent closes our stdin when it is done, or dies: either way, stop with it.
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.stdin.resume();
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`sync sandboxes failed to start: ${String(err)}\n`);
  process.exit(1);
});
