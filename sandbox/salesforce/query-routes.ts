import type { SandboxResponse } from '../common/server.js';
import { SalesforceFault } from './errors.js';
import { objectNamed } from './objects.js';
import type { SObjectRepository } from './records.js';
import { modstampScan, runSoql, runSoqlByModstamp } from './soql.js';
import { parseSoql } from './soql-parse.js';

interface Cursor {
  object: string;
  fields: string[];
  ids: string[];
  includeDeleted: boolean;
  touchedMs: number;
}

/** Salesforce keeps a limited number of open query cursors per user and drops the oldest. */
const maxOpenCursors = 50;
/** An unused cursor expires after 15 minutes. */
const cursorIdleMs = 15 * 60_000;

/**
 * `GET /query?q=` and `/queryAll?q=` with Salesforce's batching: up to `batchSize` records per
 * answer (Sforce-Query-Options `batchSize`, 200–2000, default 2000), `done:false` and a
 * `nextRecordsUrl` (`/services/data/vXX.X/query/01g…-<offset>`) until the last batch. The result
 * set is fixed when the query runs, as Salesforce's server-side cursor is.
 */
export class QueryCursors {
  readonly #cursors = new Map<string, Cursor>();
  #counter = 0;

  constructor(
    private readonly repo: SObjectRepository,
    private readonly now: () => number,
  ) {}

  query(opts: {
    apiVersion: string;
    query: URLSearchParams;
    headers: Record<string, string | undefined>;
    includeDeleted: boolean;
  }): SandboxResponse {
    const q = opts.query.get('q');
    if (q === null || q.trim() === '')
      throw new SalesforceFault(400, 'MALFORMED_QUERY', 'SOQL statements cannot be empty or null');
    const parsed = parseSoql(q);
    const scan = modstampScan(parsed);
    const rows = scan
      ? runSoqlByModstamp(parsed, this.repo.modifiedSince(parsed.object, scan.fromMs, opts.includeDeleted))
      : runSoql(parsed, this.repo.all(parsed.object, opts.includeDeleted));
    if (parsed.fields === 'count') {
      return { status: 200, body: { totalSize: rows.length, done: true, records: [] } };
    }
    const cursor: Cursor = {
      object: parsed.object.name,
      fields: parsed.fields.map((f) => f.name),
      ids: rows.map((r) => String(r.Id)),
      includeDeleted: opts.includeDeleted,
      touchedMs: this.now(),
    };
    const locator = `01gWf${String(++this.#counter).padStart(13, '0')}`;
    return this.#batch(locator, cursor, 0, opts.apiVersion, batchSize(opts.headers));
  }

  /** `GET /query/<locator>-<offset>`: the next batch of an earlier query. */
  more(opts: {
    apiVersion: string;
    locatorPath: string;
    headers: Record<string, string | undefined>;
  }): SandboxResponse {
    const m = /^(01g[A-Za-z0-9]+)-(\d+)$/.exec(opts.locatorPath);
    const cursor = m ? this.#cursors.get(m[1] as string) : undefined;
    if (!m || cursor === undefined || this.now() - cursor.touchedMs > cursorIdleMs) {
      throw new SalesforceFault(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    cursor.touchedMs = this.now();
    return this.#batch(m[1] as string, cursor, Number(m[2]), opts.apiVersion, batchSize(opts.headers));
  }

  #batch(locator: string, cursor: Cursor, offset: number, apiVersion: string, size: number): SandboxResponse {
    const def = objectNamed(cursor.object);
    if (def === undefined) throw new SalesforceFault(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    const ids = cursor.ids.slice(offset, offset + size);
    const records = ids.map((id) => {
      const record = this.repo.get(def, id) ?? {};
      const out: Record<string, unknown> = {
        attributes: { type: def.name, url: `/services/data/v${apiVersion}/sobjects/${def.name}/${id}` },
      };
      for (const f of cursor.fields) out[f] = record[f] ?? null;
      return out;
    });
    const next = offset + ids.length;
    const done = next >= cursor.ids.length;
    if (done) this.#cursors.delete(locator);
    else {
      this.#cursors.set(locator, cursor);
      while (this.#cursors.size > maxOpenCursors) {
        const oldest = this.#cursors.keys().next().value;
        if (oldest === undefined) break;
        this.#cursors.delete(oldest);
      }
    }
    const kind = cursor.includeDeleted ? 'queryAll' : 'query';
    return {
      status: 200,
      body: {
        totalSize: cursor.ids.length,
        done,
        ...(done ? {} : { nextRecordsUrl: `/services/data/v${apiVersion}/${kind}/${locator}-${next}` }),
        records,
      },
    };
  }
}

/** `Sforce-Query-Options: batchSize=n`: a request, clamped to 200–2000 as Salesforce does. */
function batchSize(headers: Record<string, string | undefined>): number {
  const m = /batchSize\s*=\s*(\d+)/i.exec(headers['sforce-query-options'] ?? '');
  if (!m) return 2000;
  return Math.min(2000, Math.max(200, Number(m[1])));
}
