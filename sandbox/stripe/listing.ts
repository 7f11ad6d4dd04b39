import type { Params, ParamValue } from './form.js';
import { int } from './objects.js';
import { invalidParam, ok, type RouteResult, stripeError } from './responses.js';
import type { StripeObject } from './store.js';

/** `created[gt|gte|lt|lte]` or an exact `created=<second>`, as every list endpoint accepts. */
function matchesCreated(obj: StripeObject, filter: ParamValue | undefined): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return obj.created === Number(filter);
  if (Array.isArray(filter)) return true;
  const c = obj.created;
  const bound = (k: string) => int(filter[k]);
  const [gt, gte, lt, lte] = [bound('gt'), bound('gte'), bound('lt'), bound('lte')];
  return (
    (gt === null || c > gt) &&
    (gte === null || c >= gte) &&
    (lt === null || c < lt) &&
    (lte === null || c <= lte)
  );
}

/**
 * One page of a list endpoint: `limit` 1–100 (default 10), `starting_after`/`ending_before` by
 * object id, newest first, `{object: 'list', data, has_more, url}`.
 */
export function listPage(opts: {
  all: StripeObject[];
  query: Params;
  url: string;
  filters: Record<string, (obj: StripeObject, value: string) => boolean>;
}): RouteResult {
  const { query } = opts;
  const limit = query.limit === undefined ? 10 : int(query.limit);
  if (limit === null || limit < 1 || limit > 100) {
    return invalidParam('limit', 'Invalid integer: limit must be between 1 and 100.');
  }
  let items = opts.all.filter((o) => matchesCreated(o, query.created));
  for (const [name, test] of Object.entries(opts.filters)) {
    const v = query[name];
    if (typeof v === 'string') items = items.filter((o) => test(o, v));
  }
  const after = typeof query.starting_after === 'string' ? query.starting_after : undefined;
  const before = typeof query.ending_before === 'string' ? query.ending_before : undefined;
  if (after !== undefined && before !== undefined) {
    return stripeError(400, {
      type: 'invalid_request_error',
      message: 'You may only specify one of these parameters: ending_before, starting_after.',
    });
  }
  let page: StripeObject[];
  let hasMore: boolean;
  if (after !== undefined) {
    const at = opts.all.findIndex((o) => o.id === after);
    if (at < 0)
      return stripeError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such object: '${after}'`,
        param: 'starting_after',
      });
    const rest = items.filter((o) => opts.all.indexOf(o) > at);
    page = rest.slice(0, limit);
    hasMore = rest.length > limit;
  } else if (before !== undefined) {
    const at = opts.all.findIndex((o) => o.id === before);
    if (at < 0)
      return stripeError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        message: `No such object: '${before}'`,
        param: 'ending_before',
      });
    const newer = items.filter((o) => opts.all.indexOf(o) < at);
    page = newer.slice(Math.max(0, newer.length - limit));
    hasMore = newer.length > limit;
  } else {
    page = items.slice(0, limit);
    hasMore = items.length > limit;
  }
  return ok({ object: 'list', data: page, has_more: hasMore, url: opts.url });
}

/**
 * Stripe's search query language, the part flows use: `field:'value'` (exact), `field~'value'`
 * (substring), `metadata['key']:'value'`, numeric `field>100`, joined by AND or OR (not both).
 */
export function searchPage(opts: { all: StripeObject[]; query: Params; url: string }): RouteResult {
  const q = typeof opts.query.query === 'string' ? opts.query.query : undefined;
  if (q === undefined || q.trim() === '') {
    return stripeError(400, {
      type: 'invalid_request_error',
      code: 'parameter_missing',
      message: 'Missing required param: query.',
      param: 'query',
    });
  }
  const usesOr = / OR /.test(q);
  if (usesOr && / AND /.test(q)) {
    return stripeError(400, {
      type: 'invalid_request_error',
      message: 'Search queries cannot combine AND and OR.',
      param: 'query',
    });
  }
  const clauses = q.split(usesOr ? / OR / : / AND /).map((c) => parseClause(c.trim()));
  if (clauses.some((c) => c === undefined)) {
    return stripeError(400, {
      type: 'invalid_request_error',
      message: `Invalid search query: ${q}`,
      param: 'query',
    });
  }
  const tests = clauses as ((o: StripeObject) => boolean)[];
  const matches = opts.all.filter((o) => (usesOr ? tests.some((t) => t(o)) : tests.every((t) => t(o))));
  const limit = int(opts.query.limit) ?? 10;
  const offset =
    typeof opts.query.page === 'string'
      ? Number(Buffer.from(opts.query.page, 'base64url').toString()) || 0
      : 0;
  const data = matches.slice(offset, offset + limit);
  const hasMore = matches.length > offset + limit;
  return ok({
    object: 'search_result',
    data,
    has_more: hasMore,
    next_page: hasMore ? Buffer.from(String(offset + limit)).toString('base64url') : null,
    url: opts.url,
    total_count: matches.length,
  });
}

function parseClause(clause: string): ((o: StripeObject) => boolean) | undefined {
  const meta = /^metadata\[['"]([^'"]+)['"]\]:['"](.*)['"]$/.exec(clause);
  if (meta) return (o) => (o.metadata as Record<string, string> | null)?.[meta[1] as string] === meta[2];
  const text = /^([a-z_]+)(:|~)['"](.*)['"]$/.exec(clause);
  if (text) {
    const [, field, op, value] = text as unknown as [string, string, string, string];
    return (o) => {
      const v = o[field];
      if (typeof v !== 'string') return false;
      return op === ':' ? v === value : v.toLowerCase().includes(value.toLowerCase());
    };
  }
  const num = /^([a-z_]+)(>=|<=|>|<|:)(-?\d+)$/.exec(clause);
  if (num) {
    const [, field, op, raw] = num as unknown as [string, string, string, string];
    const n = Number(raw);
    return (o) => {
      const v = o[field];
      if (typeof v !== 'number') return false;
      return op === '>' ? v > n : op === '<' ? v < n : op === '>=' ? v >= n : op === '<=' ? v <= n : v === n;
    };
  }
  return undefined;
}
