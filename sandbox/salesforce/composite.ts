import { z } from 'zod';
import type { SandboxResponse } from '../common/server.js';
import { SalesforceFault } from './errors.js';

const Subrequest = z.object({
  method: z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE']),
  url: z.string().min(1),
  referenceId: z.string().regex(/^[A-Za-z0-9_]+$/, 'referenceId must be alphanumeric'),
  body: z.unknown().optional(),
  httpHeaders: z.record(z.string(), z.string()).optional(),
});
const CompositeRequest = z.object({
  allOrNone: z.boolean().default(false),
  collateSubrequests: z.boolean().optional(),
  compositeRequest: z.array(Subrequest).min(1),
});

interface SubResponse {
  body: unknown;
  httpHeaders: Record<string, string>;
  httpStatusCode: number;
  referenceId: string;
}

export interface CompositeDeps {
  /** Runs one subrequest as if it were its own REST call (no auth, no rate limit: the composite counted once). */
  dispatch(method: string, url: string, body: unknown, headers: Record<string, string>): SandboxResponse;
  /** Runs `fn` atomically; a throw rolls every write back. */
  transaction<T>(fn: () => T): T;
  /** Forgets the change events of rolled-back writes. */
  discardChanges(): void;
}

const maxSubrequests = 25;
const halted = (message: string) => [{ errorCode: 'PROCESSING_HALTED', message }];
const rolledBack = 'The transaction was rolled back since another operation in the same transaction failed.';

class Rollback extends Error {
  constructor(
    readonly failedIndex: number,
    readonly failed: SubResponse,
  ) {
    super('composite rolled back');
  }
}

/**
 * `POST /composite`: up to 25 subrequests run in order, each able to use earlier answers through
 * `@{referenceId.path}` in its URL or body. With `allOrNone` the first failure rolls back every
 * write and the other subrequests answer PROCESSING_HALTED; without it, only subrequests that
 * reference a failed one are halted.
 */
export function runComposite(raw: unknown, deps: CompositeDeps): SandboxResponse {
  const parsed = CompositeRequest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SalesforceFault(
      400,
      'JSON_PARSER_ERROR',
      `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { allOrNone, compositeRequest } = parsed.data;
  if (compositeRequest.length > maxSubrequests) {
    throw new SalesforceFault(
      400,
      'INVALID_INPUT',
      `A composite request can have at most ${maxSubrequests} subrequests`,
    );
  }
  const ids = new Set<string>();
  for (const sub of compositeRequest) {
    if (ids.has(sub.referenceId)) {
      throw new SalesforceFault(
        400,
        'INVALID_INPUT',
        `Duplicate referenceId provided in the request: ${sub.referenceId}`,
      );
    }
    ids.add(sub.referenceId);
  }
  const runAll = (): SubResponse[] => {
    const done = new Map<string, SubResponse>();
    const out: SubResponse[] = [];
    compositeRequest.forEach((sub, index) => {
      let answer: SubResponse;
      try {
        const url = resolveRefs(sub.url, done) as string;
        const body = sub.body === undefined ? undefined : resolveRefs(sub.body, done);
        if (!/^\/services\/data\/v\d+\.\d\//.test(url) || /\/composite(\/|$)/.test(url)) {
          throw new SalesforceFault(
            400,
            'INVALID_INPUT',
            `The composite subrequest URL is not supported: ${url}`,
          );
        }
        const res = deps.dispatch(sub.method, url, body, sub.httpHeaders ?? {});
        answer = {
          body: res.body ?? null,
          httpHeaders: res.headers ?? {},
          httpStatusCode: res.status,
          referenceId: sub.referenceId,
        };
      } catch (err) {
        if (!(err instanceof SalesforceFault)) throw err;
        answer = {
          body: err.toResponse().body,
          httpHeaders: {},
          httpStatusCode: err.status,
          referenceId: sub.referenceId,
        };
      }
      if (allOrNone && answer.httpStatusCode >= 400) throw new Rollback(index, answer);
      done.set(sub.referenceId, answer);
      out.push(answer);
    });
    return out;
  };
  try {
    const responses = allOrNone ? deps.transaction(runAll) : runAll();
    return { status: 200, body: { compositeResponse: responses } };
  } catch (err) {
    if (!(err instanceof Rollback)) throw err;
    deps.discardChanges();
    const responses = compositeRequest.map((sub, i) =>
      i === err.failedIndex
        ? err.failed
        : { body: halted(rolledBack), httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId },
    );
    return { status: 200, body: { compositeResponse: responses } };
  }
}

/** Replaces `@{ref.path}` in strings (deeply in bodies) with values from earlier answers. */
function resolveRefs(value: unknown, done: ReadonlyMap<string, SubResponse>): unknown {
  if (typeof value === 'string') {
    return value.replace(/@\{([A-Za-z0-9_]+)\.([^}]+)\}/g, (_m, ref: string, path: string) => {
      const earlier = done.get(ref);
      if (earlier === undefined || earlier.httpStatusCode >= 400) {
        throw new SalesforceFault(
          400,
          'PROCESSING_HALTED',
          `Invalid reference specified. No value for ${ref}.${path} found in ${ref}. Provided referenceId ${ref} has not succeeded.`,
        );
      }
      const found = walk(earlier.body, path);
      if (found === undefined || found === null || typeof found === 'object') {
        throw new SalesforceFault(
          400,
          'PROCESSING_HALTED',
          `Invalid reference specified. No value for ${ref}.${path} found in ${ref}.`,
        );
      }
      return String(found);
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, done));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v, done)]));
  }
  return value;
}

function walk(root: unknown, path: string): unknown {
  let current = root;
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    if (m[1] !== '') current = (current as Record<string, unknown> | null)?.[m[1] as string];
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      current = Array.isArray(current) ? current[Number(idx[1])] : undefined;
    }
  }
  return current;
}
