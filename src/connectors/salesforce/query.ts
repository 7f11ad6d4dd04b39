import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import type { ConnectorContext } from '../../connector/context.js';
import { nextUrlPages } from '../../connector/pagination.js';
import { WeftError } from '../../contract/errors.js';
import { QueryResult } from './schemas.js';
import { dataPath } from './version.js';

/**
 * A SOQL string literal: quotes and backslashes escaped, so a value can never end the literal and
 * inject SOQL.
 *
 * @example
 * `SELECT Id FROM Contact WHERE Email = ${soqlString(email)}`
 */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

/** A SOQL datetime literal (UTC, with milliseconds) for epoch ms. */
export function soqlDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

type QueryRecord = QueryResult['records'][number];

/**
 * Every record of a SOQL query, batch by batch: the first `GET /query?q=` then each
 * `nextRecordsUrl` as given until `done` (or `queryAll`, which includes the recycle bin).
 *
 * @example
 * for await (const r of soqlRecords(ctx, "SELECT Id FROM Account")) console.log(r.Id);
 */
export async function* soqlRecords(
  ctx: ConnectorContext,
  q: string,
  opts: { includeDeleted?: boolean; batchSize?: number } = {},
): AsyncGenerator<QueryRecord> {
  const resource = opts.includeDeleted ? '/queryAll' : '/query';
  yield* nextUrlPages<QueryRecord>({
    firstUrl: `${dataPath(ctx, resource)}?q=${encodeURIComponent(q)}`,
    fetchPage: async (url) => {
      const page = await queryBatch(ctx, url, opts.batchSize);
      return { items: page.records, nextUrl: page.done ? undefined : page.nextRecordsUrl };
    },
  });
}

async function queryBatch(ctx: ConnectorContext, url: string, batchSize?: number): Promise<QueryResult> {
  if (!url.startsWith('/services/data/')) {
    // nextRecordsUrl is always a path on the instance; anything else is not followed.
    throw new WeftError({
      code: 'invalid_input',
      message: `not a Salesforce query locator: ${url.slice(0, 80)}`,
    });
  }
  const res = await ctx.http.request({
    method: 'GET',
    path: url,
    ...(batchSize ? { headers: { 'Sforce-Query-Options': `batchSize=${batchSize}` } } : {}),
  });
  return QueryResult.parse(res.body);
}

const BatchSize = z.number().int().min(200).max(2000).optional();

export const queryActions = {
  'soql.query': defineAction({
    kind: 'read',
    name: 'soql.query',
    description:
      'Run a SOQL query and follow nextRecordsUrl to the end (or until maxRecords; then done is false and nextRecordsUrl continues)',
    input: z.object({
      q: z.string().min(1).max(100_000),
      includeDeleted: z.boolean().default(false),
      maxRecords: z.number().int().min(1).max(1_000_000).default(50_000),
      batchSize: BatchSize,
    }),
    output: QueryResult,
    run: async (ctx, input) => {
      const resource = input.includeDeleted ? '/queryAll' : '/query';
      let url: string | undefined = `${dataPath(ctx, resource)}?q=${encodeURIComponent(input.q)}`;
      const records: QueryRecord[] = [];
      let page: QueryResult | undefined;
      while (url !== undefined && records.length < input.maxRecords) {
        page = await queryBatch(ctx, url, input.batchSize);
        records.push(...page.records);
        url = page.done ? undefined : page.nextRecordsUrl;
      }
      return {
        totalSize: page?.totalSize ?? 0,
        done: url === undefined,
        ...(url === undefined ? {} : { nextRecordsUrl: url }),
        records,
      };
    },
  }),
  'soql.queryMore': defineAction({
    kind: 'read',
    name: 'soql.queryMore',
    description: 'Fetch the next batch of a query from its nextRecordsUrl',
    input: z.object({
      nextRecordsUrl: z.string().regex(/^\/services\/data\/v\d+\.\d\/query(All)?\/[A-Za-z0-9-]+$/),
      batchSize: BatchSize,
    }),
    output: QueryResult,
    run: (ctx, input) => queryBatch(ctx, input.nextRecordsUrl, input.batchSize),
  }),
};
