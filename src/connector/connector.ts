import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WeftError } from '../contract/errors.js';
import { type ActionCall, type ActionDefinition, invokeAction } from './action.js';
import { AuthConfig, type AuthDeps, type AuthKind, createAuthenticator } from './auth.js';
import type { ConnectorContext } from './context.js';
import { type ClassifyContext, ConnectorHttpClient } from './http-client.js';
import { type ConnectionRateLimiter, createRateLimiter, type RateLimitHeaderReader } from './rate-limiter.js';
import type { PollTriggerDefinition, WebhookTriggerDefinition } from './triggers.js';

/** A configured Connector: where, who (credentials), how fast. */
export const Connection = z.object({
  id: z.string().min(1),
  connector: z.string().min(1),
  /** Defaults to the connector's base URL; a sandbox URL in development. */
  baseUrl: z.url().optional(),
  auth: AuthConfig,
  limits: z
    .object({
      requestsPerSecond: z.number().positive().optional(),
      burst: z.number().int().positive().optional(),
      timeoutMs: z.number().int().positive().optional(),
    })
    .optional(),
  /** Non-secret, connector-specific settings (e.g. an account id). */
  settings: z.record(z.string(), z.string()).optional(),
});
export type Connection = z.infer<typeof Connection>;

/** What a connector declares about its System's HTTP behaviour. */
export interface ConnectorHttpProfile {
  defaultHeaders?: Record<string, string>;
  idempotencyHeader?: string;
  /** Defaults when the Connection sets no limits. */
  rateLimit?: { requestsPerSecond: number; burst?: number; readHeaders?: RateLimitHeaderReader };
  classify?: (ctx: ClassifyContext) => WeftError;
}

/**
 * A resource a connector opens per Connection for a System that does not speak HTTP (a pg Pool).
 * Actions and triggers reach it as `ctx.client`; `ConnectedConnector.close()` closes it.
 */
export interface ConnectorClientFactory<C = unknown> {
  /**
   * Builds the resource from the Connection (settings and credentials). `connect()` is
   * synchronous, so this must not do I/O: connect lazily, on first use.
   */
  open(connection: Connection): C;
  close(client: C): Promise<void>;
}

/** The code that speaks to one kind of System. */
export interface ConnectorDefinition<
  A extends Record<string, ActionDefinition> = Record<string, ActionDefinition>,
> {
  name: string;
  title: string;
  defaultBaseUrl: string;
  /** Auth kinds this System accepts. */
  auth: readonly AuthKind[];
  /** The System's objects; fields carry classifications (see classification.ts). */
  objects: Record<string, z.ZodType>;
  actions: A;
  pollTriggers?: Record<string, PollTriggerDefinition>;
  webhookTriggers?: Record<string, WebhookTriggerDefinition>;
  http?: ConnectorHttpProfile;
  /**
   * Only for Systems not reached over HTTP; `ctx.http` is still built, and such a connector
   * ignores it. A `ConnectorClientFactory<pg.Pool>` fits here (its methods are bivariant), and
   * actions narrow `ctx.client` back to their type.
   */
  client?: ConnectorClientFactory;
}

/**
 * Declares a connector and checks that its action keys match the actions' names.
 *
 * @example
 * export const stripe = defineConnector({ name: 'stripe', title: 'Stripe', defaultBaseUrl: 'https://api.stripe.com', auth: ['bearer'], objects, actions });
 */
export function defineConnector<A extends Record<string, ActionDefinition>>(
  def: ConnectorDefinition<A>,
): ConnectorDefinition<A> {
  for (const [key, action] of Object.entries(def.actions)) {
    if (key !== action.name)
      throw new Error(`${def.name}: action key "${key}" differs from its name "${action.name}"`);
  }
  if (def.auth.length === 0) throw new Error(`${def.name}: declare at least one auth kind`);
  return def;
}

/** A connector bound to one Connection: a context and typed action calls. */
export interface ConnectedConnector<A extends Record<string, ActionDefinition>> {
  connector: ConnectorDefinition<A>;
  ctx: ConnectorContext;
  /** Runs an action through its schemas and idempotency strategy. */
  run<K extends keyof A & string>(
    name: K,
    input: z.input<A[K]['input']>,
    call?: Partial<ActionCall>,
  ): Promise<z.output<A[K]['output']>>;
  /** Closes what the connector's `client` factory opened (a no-op for HTTP connectors); idempotent. */
  close(): Promise<void>;
}

export interface ConnectDeps extends AuthDeps {
  /** The Connection's limiter; pass the shared one so all users of the Connection share its budget. */
  limiter?: ConnectionRateLimiter;
  random?: () => number;
  maxRateLimitRetries?: number;
  rateLimitBackoffMs?: number;
}

/**
 * Opens a Connection: builds its authenticator, rate limiter and HTTP client.
 *
 * @example
 * const stripe = connect(stripeConnector, { id: 'stripe-main', connector: 'stripe', auth: { kind: 'bearer', token } });
 * const customer = await stripe.run('customers.create', { email: 'ada@example.com' }, { idempotencyKey: 'run1:step1' });
 */
export function connect<A extends Record<string, ActionDefinition>>(
  connector: ConnectorDefinition<A>,
  connectionInput: Connection,
  deps: ConnectDeps = {},
): ConnectedConnector<A> {
  const connection = Connection.parse(connectionInput);
  if (connection.connector !== connector.name) {
    throw new WeftError({
      code: 'invalid_input',
      message: `connection ${connection.id} is not a ${connector.name} connection`,
    });
  }
  if (!connector.auth.includes(connection.auth.kind)) {
    throw new WeftError({
      code: 'invalid_input',
      message: `${connector.name} does not accept auth kind ${connection.auth.kind} (accepts ${connector.auth.join(', ')})`,
    });
  }
  const profile = connector.http ?? {};
  const now = deps.now ?? Date.now;
  const limiter =
    deps.limiter ??
    createRateLimiter({
      requestsPerSecond: connection.limits?.requestsPerSecond ?? profile.rateLimit?.requestsPerSecond ?? 10,
      ...((connection.limits?.burst ?? profile.rateLimit?.burst)
        ? { burst: connection.limits?.burst ?? profile.rateLimit?.burst }
        : {}),
      ...(profile.rateLimit?.readHeaders ? { readHeaders: profile.rateLimit.readHeaders } : {}),
      now,
    });
  const baseUrl = connection.baseUrl ?? connector.defaultBaseUrl;
  const auth = createAuthenticator(connection.auth, deps);
  const http = new ConnectorHttpClient({
    baseUrl,
    auth,
    limiter,
    now,
    ...(profile.defaultHeaders ? { defaultHeaders: profile.defaultHeaders } : {}),
    ...(profile.idempotencyHeader ? { idempotencyHeader: profile.idempotencyHeader } : {}),
    ...(profile.classify ? { classify: profile.classify } : {}),
    ...(connection.limits?.timeoutMs ? { timeoutMs: connection.limits.timeoutMs } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    ...(deps.maxRateLimitRetries !== undefined ? { maxRateLimitRetries: deps.maxRateLimitRetries } : {}),
    ...(deps.rateLimitBackoffMs !== undefined ? { rateLimitBackoffMs: deps.rateLimitBackoffMs } : {}),
  });
  const factory = connector.client;
  const client = factory?.open(connection);
  const ctx: ConnectorContext = {
    http,
    auth,
    connection: { id: connection.id, baseUrl, settings: connection.settings ?? {} },
    now,
    ...(client === undefined ? {} : { client }),
  };
  let closing: Promise<void> | undefined;
  return {
    connector,
    ctx,
    close: () => {
      closing ??= factory === undefined ? Promise.resolve() : factory.close(client);
      return closing;
    },
    run: <K extends keyof A & string>(name: K, input: z.input<A[K]['input']>, call?: Partial<ActionCall>) => {
      const action = connector.actions[name];
      if (action === undefined) {
        throw new WeftError({ code: 'invalid_input', message: `${connector.name} has no action ${name}` });
      }
      // Without a caller key every call is a new write; the engine always passes (run, step, item).
      return invokeAction(action, ctx, input, {
        idempotencyKey: call?.idempotencyKey ?? randomUUID(),
        attempt: call?.attempt ?? 1,
      }) as Promise<z.output<A[K]['output']>>;
    },
  };
}
