import { createHash } from 'node:crypto';
import { callHttp, type HttpRequestInput } from '../../connectors/http/http-call.js';
import { type SerializedError, toWeftError, WeftError } from '../../contract/errors.js';
import type { ActionStep, HttpRequest, RateLimit } from '../../contract/flow.js';
import type { Scope } from '../../flow/compiled.js';
import type { ActionRecord } from '../../store/records.js';
import { decideRetry, defaultRetryPolicy } from '../retry.js';
import { type StepEnv, type StepExecutor, type StepOutcome, toJsonValue } from './step-env.js';

/**
 * The idempotency key of one write: stable for (run, step, item) across retries, restarts and
 * workers, so a target that honours `Idempotency-Key` applies it once. Long keys are hashed to stay
 * within common header limits (Stripe allows 255 characters).
 */
export function idempotencyKey(runId: string, stepId: string, itemKey: string | null): string {
  const raw = itemKey === null ? `${runId}:${stepId}` : `${runId}:${stepId}:${itemKey}`;
  if (raw.length <= 200) return raw;
  return `${runId}:${stepId}:h${createHash('sha256').update(raw).digest('hex').slice(0, 32)}`;
}

interface Item {
  key: string | null;
  scope: Scope;
}

/**
 * `action`: one write per item through the HTTP connector. The ledger is consulted before every
 * call (a write that succeeded earlier is replayed, not repeated), failures are classified and
 * retried by the step's policy, and what is finally given up on becomes an Exception.
 */
export const executeAction: StepExecutor<ActionStep> = async (step, env) => {
  const policy = step.retry ?? env.flow.definition.retry ?? defaultRetryPolicy;
  const items = await listItems(step, env);
  const edited = editedRequests(env, items.length);
  const requests: HttpRequestInput[] = [];
  for (const [i, item] of items.entries()) {
    requests.push(edited?.[i] ?? (await renderRequest(step.request, env, item.scope)));
  }
  const input = step.forEach === undefined ? requests[0] : requests;
  let attempts = env.entry?.attempts ?? 0;
  const results: unknown[] = [];
  for (const [i, item] of items.entries()) {
    const request = requests[i] as HttpRequestInput;
    const key = idempotencyKey(env.run.id, step.id, item.key);
    const previous = env.ledger.get(key);
    if (previous?.status === 'succeeded') {
      results.push(previous.response);
      continue;
    }
    const verdict = await env.policy.beforeAction({
      flowName: env.flow.version.flowName,
      flowVersion: env.flow.version.version,
      runId: env.run.id,
      stepId: step.id,
      kind: 'action',
      connector: step.connector,
      method: request.method,
      target: targetOf(request.url),
    });
    if (!verdict.allow) {
      const error = new WeftError({
        code: 'policy_denied',
        message: `policy denied action: ${verdict.reason}`,
      });
      return { type: 'failed', error, input, attempts };
    }
    if (step.rateLimit !== undefined) {
      const wait = await takeToken(step.rateLimit, env);
      if (wait !== undefined) {
        // Not an attempt: nothing was sent. The run is given up until a token is due.
        return {
          type: 'suspended',
          status: 'retrying',
          resumeAt: wait.resumeAt,
          attempts,
          input,
          error: wait.error,
        };
      }
    }
    const now = env.now();
    try {
      const result = await callHttp({
        request,
        secretHeaders: resolveSecretHeaders(step.request, env),
        idempotencyKey: key,
        timeoutMs: step.request.timeoutMs,
        now,
      });
      env.ledger.record(
        ledgerEntry({ env, step, item, key, request, previous, now, status: 'succeeded', result }),
      );
      attempts = 0;
      results.push(toJsonValue(result));
    } catch (err) {
      const error = toWeftError(err);
      const status = typeof error.details.status === 'number' ? error.details.status : null;
      env.ledger.record(
        ledgerEntry({
          env,
          step,
          item,
          key,
          request,
          previous,
          now,
          status: 'failed',
          responseStatus: status,
        }),
      );
      attempts += 1;
      return retryOrFail({ error, attempts, policy, env, input });
    }
  }
  return { type: 'succeeded', output: step.forEach === undefined ? results[0] : results, input, attempts: 0 };
};

/** Waits shorter than this sleep in-process: cheaper than giving the run up and claiming it again. */
export const maxInlineRateWaitMs = 250;
/** In-process sleeping per call, at most; past it the run is given up and claimed again later. */
const maxInlineRateSleepMs = 1_000;

/**
 * Takes a token of the step's shared bucket, sleeping through short waits. Resolves undefined
 * once a token is taken, or with when to come back. Connections (a later issue) will take their
 * limits the same way, under their own keys (`connection:<name>`), from the same store buckets.
 */
async function takeToken(
  limit: RateLimit,
  env: StepEnv,
): Promise<{ resumeAt: number; error: SerializedError } | undefined> {
  const bucket = {
    key: limit.key,
    perSecond: limit.perSecond,
    burst: limit.burst ?? Math.max(1, Math.ceil(limit.perSecond)),
  };
  let slept = 0;
  for (;;) {
    const { waitMs } = await env.takeRateLimit(bucket);
    if (waitMs === 0) return undefined;
    // Jitter: callers that found the bucket empty together must not all come back together.
    const spread = Math.floor(env.random() * Math.min(waitMs, 1000 / bucket.perSecond));
    if (waitMs < maxInlineRateWaitMs && slept + waitMs + spread <= maxInlineRateSleepMs) {
      await new Promise((resolve) => setTimeout(resolve, waitMs + spread));
      slept += waitMs + spread;
      continue;
    }
    const error: SerializedError = {
      code: 'rate_limited',
      message: `waiting for rate limit ${limit.key} (${limit.perSecond}/s)`,
      retryable: true,
      retryAfterMs: waitMs + spread,
    };
    return { resumeAt: env.now() + waitMs + spread, error };
  }
}

function retryOrFail(opts: {
  error: WeftError;
  attempts: number;
  policy: typeof defaultRetryPolicy;
  env: StepEnv;
  input: unknown;
}): StepOutcome {
  const { error, attempts, env, input } = opts;
  const decision = decideRetry({
    error: error.toJSON(),
    attempts,
    policy: opts.policy,
    random: env.random(),
  });
  if (decision.kind === 'retry') {
    return {
      type: 'suspended',
      status: 'retrying',
      resumeAt: env.now() + decision.delayMs,
      attempts,
      input,
      error: error.toJSON(),
    };
  }
  const final = new WeftError({
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    retryAfterMs: error.retryAfterMs,
    cause: error.cause,
    details: { ...error.details, verdict: decision.reason },
  });
  return { type: 'failed', error: final, input, attempts };
}

async function listItems(step: ActionStep, env: StepEnv): Promise<Item[]> {
  if (step.forEach === undefined) return [{ key: null, scope: env.scope }];
  const value = await env.flow.expression(step.forEach).evaluate(env.scope);
  const list = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  const items: Item[] = [];
  for (const [index, item] of list.entries()) {
    const scope: Scope = { ...env.scope, item, index };
    const key =
      step.itemKey === undefined
        ? String(index)
        : String(await env.flow.expression(step.itemKey).evaluate(scope));
    items.push({ key, scope });
  }
  return items;
}

/** An edit-and-retry from the error queue replaces the computed request(s) with the person's version. */
function editedRequests(env: StepEnv, count: number): HttpRequestInput[] | undefined {
  const edited = env.entry?.editedInput;
  if (edited === undefined || edited === null) return undefined;
  const list = Array.isArray(edited) ? edited : [edited];
  if (list.length !== count) {
    throw new WeftError({
      code: 'invalid_input',
      message: `edited input has ${list.length} request(s), the step has ${count} item(s)`,
    });
  }
  return list.map((r) => normaliseEdited(r));
}

function normaliseEdited(value: unknown): HttpRequestInput {
  if (typeof value !== 'object' || value === null) {
    throw new WeftError({ code: 'invalid_input', message: 'edited input must be a request object' });
  }
  const r = value as Partial<HttpRequestInput>;
  if (typeof r.url !== 'string' || typeof r.method !== 'string') {
    throw new WeftError({ code: 'invalid_input', message: 'edited request needs `method` and `url`' });
  }
  return { method: r.method, url: r.url, query: r.query ?? {}, headers: r.headers ?? {}, body: r.body };
}

async function renderRequest(req: HttpRequest, env: StepEnv, scope: Scope): Promise<HttpRequestInput> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = await env.flow.template(value).render(scope);
  }
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(req.query)) {
    query[name] = await env.flow.template(template).render(scope);
  }
  const url = await env.flow.template(req.url).render(scope);
  try {
    new URL(url);
  } catch {
    throw new WeftError({ code: 'invalid_input', message: `action url is not a valid URL: ${url}` });
  }
  const body =
    req.body === undefined ? undefined : toJsonValue(await env.flow.expression(req.body).evaluate(scope));
  return { method: req.method, url, query, headers, ...(body === undefined ? {} : { body }) };
}

function resolveSecretHeaders(req: HttpRequest, env: StepEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') continue;
    const secret = env.secrets.get(value.secret);
    if (secret === undefined) {
      throw new WeftError({
        code: 'auth',
        message: `secret ${value.secret} is not set (WEFT_SECRET_${value.secret}); set it and retry from the error queue`,
      });
    }
    out[name] = `${value.prefix ?? ''}${secret}`;
  }
  return out;
}

function ledgerEntry(opts: {
  env: StepEnv;
  step: ActionStep;
  item: Item;
  key: string;
  request: HttpRequestInput;
  previous: ActionRecord | undefined;
  now: number;
  status: 'succeeded' | 'failed';
  result?: unknown;
  responseStatus?: number | null;
}): ActionRecord {
  const { previous, now } = opts;
  const result = opts.result as { status?: number } | undefined;
  return {
    idempotencyKey: opts.key,
    runId: opts.env.run.id,
    stepId: opts.step.id,
    itemKey: opts.item.key ?? '',
    attempts: (previous?.attempts ?? 0) + 1,
    status: opts.status,
    request: { method: opts.request.method, url: targetOf(opts.request.url) },
    responseStatus: result?.status ?? opts.responseStatus ?? null,
    response: opts.result === undefined ? null : toJsonValue(opts.result),
    firstAttemptAt: previous?.firstAttemptAt ?? now,
    lastAttemptAt: now,
  };
}

function targetOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
