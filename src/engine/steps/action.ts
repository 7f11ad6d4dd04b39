import { createHash } from 'node:crypto';
import { callHttp, type HttpRequestInput } from '../../connectors/http/http-call.js';
import { type SerializedError, toWeftError, WeftError } from '../../contract/errors.js';
import {
  type ActionStep,
  type ConnectorActionStep,
  type HttpActionStep,
  type HttpRequest,
  isConnectorAction,
  type RateLimit,
} from '../../contract/flow.js';
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
 * What differs between an action through the generic HTTP connector and one through a
 * Connection; the ledger, policy, rate limits and retries around the call are the same.
 */
interface ActionPort {
  /** The connector's name, as the policy sees it. */
  connector: string;
  render(scope: Scope): Promise<unknown>;
  /** An edit-and-retry's replacement input, checked for shape. */
  fromEdited(value: unknown): unknown;
  /** Where the call goes, secret-free: kept in the ledger and shown to the policy. */
  target(input: unknown): { method: string; url: string };
  call(input: unknown, call: { idempotencyKey: string; attempt: number }): Promise<unknown>;
  /** Shared buckets to take a token from before each call: the step's, then the Connection's. */
  buckets: RateLimit[];
}

/**
 * `action`: one write per item, through the generic HTTP connector or a Connection. The ledger
 * is consulted before every call (a write that succeeded earlier is replayed, not repeated),
 * failures are classified and retried by the step's policy, and what is finally given up on
 * becomes an Exception.
 */
export const executeAction: StepExecutor<ActionStep> = async (step, env) => {
  const policy = step.retry ?? env.flow.definition.retry ?? defaultRetryPolicy;
  let attempts = env.entry?.attempts ?? 0;
  let port: ActionPort;
  try {
    port = isConnectorAction(step) ? await connectorPort(step, env) : httpPort(step, env);
  } catch (err) {
    attempts += 1;
    return retryOrFail({ error: toWeftError(err), attempts, policy, env, input: undefined });
  }
  const items = await listItems(step, env);
  const edited = editedInputs(env, items.length, port);
  const inputs: unknown[] = [];
  for (const [i, item] of items.entries()) {
    inputs.push(edited?.[i] ?? (await port.render(item.scope)));
  }
  const input = step.forEach === undefined ? inputs[0] : inputs;
  const results: unknown[] = [];
  for (const [i, item] of items.entries()) {
    const itemInput = inputs[i];
    const target = port.target(itemInput);
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
      connector: port.connector,
      method: target.method,
      target: target.url,
    });
    if (!verdict.allow) {
      const error = new WeftError({
        code: 'policy_denied',
        message: `policy denied action: ${verdict.reason}`,
      });
      return { type: 'failed', error, input, attempts };
    }
    for (const bucket of port.buckets) {
      const wait = await takeToken(bucket, env);
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
      // One JSON copy serves the ledger and the step output.
      const result = toJsonValue(
        await port.call(itemInput, { idempotencyKey: key, attempt: (previous?.attempts ?? 0) + 1 }),
      );
      env.ledger.record(
        ledgerEntry({ env, step, item, key, target, previous, now, status: 'succeeded', result }),
      );
      attempts = 0;
      results.push(result);
    } catch (err) {
      const error = toWeftError(err);
      const status = typeof error.details.status === 'number' ? error.details.status : null;
      env.ledger.record(
        ledgerEntry({
          env,
          step,
          item,
          key,
          target,
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

function httpPort(step: HttpActionStep, env: StepEnv): ActionPort {
  return {
    connector: step.connector,
    render: (scope) => renderRequest(step.request, env, scope),
    fromEdited: normaliseEdited,
    target: (input) => {
      const r = input as HttpRequestInput;
      return { method: r.method, url: targetOf(r.url) };
    },
    call: (input, call) =>
      callHttp({
        request: input as HttpRequestInput,
        secretHeaders: resolveSecretHeaders(step.request, env),
        idempotencyKey: call.idempotencyKey,
        timeoutMs: step.request.timeoutMs,
        now: env.now(),
      }),
    buckets: step.rateLimit === undefined ? [] : [step.rateLimit],
  };
}

/** Opens the step's Connection (a `not_found` error when it does not exist) and binds its action. */
async function connectorPort(step: ConnectorActionStep, env: StepEnv): Promise<ActionPort> {
  const { connected, limits } = await env.connections.open(step.connection);
  if (connected.connector.actions[step.action] === undefined) {
    const known = Object.keys(connected.connector.actions).sort().join(', ');
    throw new WeftError({
      code: 'invalid_input',
      message: `connector ${connected.connector.name} (connection ${step.connection}) has no action ${step.action}; it has: ${known}`,
    });
  }
  const buckets: RateLimit[] = step.rateLimit === undefined ? [] : [step.rateLimit];
  if (limits?.requestsPerSecond !== undefined) {
    buckets.push({
      key: `connection:${step.connection}`,
      perSecond: limits.requestsPerSecond,
      ...(limits.burst !== undefined ? { burst: limits.burst } : {}),
    });
  }
  return {
    connector: connected.connector.name,
    render: async (scope) =>
      step.input === undefined ? {} : toJsonValue(await env.flow.expression(step.input).evaluate(scope)),
    fromEdited: (value) => value,
    target: () => ({ method: step.action, url: `connection:${step.connection}` }),
    call: (input, call) => connected.run(step.action, input, call),
    buckets,
  };
}

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

/** An edit-and-retry from the error queue replaces the computed input(s) with the person's version. */
function editedInputs(env: StepEnv, count: number, port: ActionPort): unknown[] | undefined {
  const edited = env.entry?.editedInput;
  if (edited === undefined || edited === null) return undefined;
  const list = Array.isArray(edited) ? edited : [edited];
  if (list.length !== count) {
    throw new WeftError({
      code: 'invalid_input',
      message: `edited input has ${list.length} item(s), the step has ${count} item(s)`,
    });
  }
  return list.map((r) => port.fromEdited(r));
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
  target: { method: string; url: string };
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
    request: opts.target,
    responseStatus: result?.status ?? opts.responseStatus ?? null,
    response: opts.result === undefined ? null : opts.result,
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
