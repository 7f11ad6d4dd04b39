import path from 'node:path';
import { z } from 'zod';
import { WeftError } from './contract/errors.js';

/** Safety-net poll of embedded mode: nothing else wakes a worker for a reclaimed lease. */
export const embeddedPollMs = 1_000;
/**
 * Safety-net poll of cluster mode. Work arrives by LISTEN/NOTIFY and local timers there, so the
 * poll only finds what those miss (a dead worker's expired leases, a notification lost while the
 * LISTEN connection was down). Every worker of every process polls, so the database sees
 * `workers / pollMs` empty claims per second from it: a longer period keeps that small.
 */
export const clusterPollMs = 5_000;

/**
 * Every option Weft reads, with its default. Read and validated once at boot (`loadConfig`);
 * the rest of the code receives the typed result through Deps.
 */
export const Config = z
  .object({
    /** `WEFT_HOST`: the API/webhook listener binds here. */
    host: z.string().default('127.0.0.1'),
    /** `WEFT_PORT` / `--port`. */
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** `WEFT_DATA_DIR` / `--data-dir`: SQLite database and lock file. */
    dataDir: z.string().default('./.weft'),
    /** `WEFT_ADMIN_TOKEN`: bootstrap admin token; generated and printed once when absent. */
    adminToken: z.string().min(16, 'WEFT_ADMIN_TOKEN must be at least 16 characters').optional(),
    /** `WEFT_LOG_LEVEL`. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `WEFT_LEASE_MS`: how long a claimed run stays leased without a heartbeat. */
    leaseMs: z.coerce.number().int().min(500).default(30_000),
    /** `WEFT_HEARTBEAT_MS`: how often a worker extends its leases (well under leaseMs). */
    heartbeatMs: z.coerce.number().int().min(100).default(10_000),
    /** `WEFT_WORKER_CONCURRENCY`: runs one worker executes at once. */
    workerConcurrency: z.coerce.number().int().min(1).max(10_000).default(64),
    /**
     * `WEFT_POLL_MS`: safety-net poll for due runs (timers, backoff, reclaimed leases). Default
     * {@link embeddedPollMs}, or {@link clusterPollMs} with a `databaseUrl`.
     */
    pollMs: z.coerce.number().int().min(10).optional(),
    /** `WEFT_FLOWS_DIR` / `--flows`: deploy every *.yaml here at start. */
    flowsDir: z.string().optional(),
    /** `WEFT_CONNECTIONS_DIR` / `--connections`: apply every *.yaml Connection here at start. */
    connectionsDir: z.string().optional(),
    /**
     * `WEFT_SANDBOX_PORT`: first port of the seven sandbox Systems `--demo` and `weft sandbox`
     * start (HubSpot, Salesforce, NetSuite, Stripe, Zendesk, ServiceNow, Slack take it and the six
     * after it). 0: any free ports.
     */
    sandboxPort: z.coerce.number().int().min(0).max(65528).default(9101),
    /**
     * `WEFT_HEALTH_PORT` / `--health-port` (`weft work`): serve `GET /health` and
     * `GET /health/ready` here, for a worker process that has no API. Absent: none.
     */
    healthPort: z.coerce.number().int().min(0).max(65535).optional(),
    /**
     * `WEFT_SECRETS_KEY`: base64 of 32 random bytes; encrypts Connection secrets at rest
     * (AES-256-GCM). Absent: `secretsKeyFile`, else (embedded mode only) `<dataDir>/secrets.key`,
     * generated on first use. Cluster mode needs one of the two, the same in every process.
     */
    secretsKey: z.string().min(1).optional(),
    /** `WEFT_SECRETS_KEY_FILE`: a file holding the key (base64), e.g. a mounted secret. */
    secretsKeyFile: z.string().min(1).optional(),
    /**
     * `WEFT_SECRETS_PREVIOUS_KEYS`: comma-separated older keys (base64), only to decrypt what they
     * sealed while rotating to a new key. Default none.
     */
    secretsPreviousKeys: z.string().min(1).optional(),
    /**
     * `WEFT_DATABASE_URL`: PostgreSQL for cluster mode (`postgres://user:pass@host:5432/db`).
     * Absent: embedded mode on SQLite in `dataDir`.
     */
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
      .optional(),
    /**
     * `WEFT_DATABASE_POOL_SIZE`: PostgreSQL connections this process opens (plus one for LISTEN).
     * Size `max_connections` (or PgBouncer) for processes × (this + 1).
     */
    databasePoolSize: z.coerce.number().int().min(2).max(500).default(10),
  })
  .transform((c) => ({
    ...c,
    pollMs: c.pollMs ?? (c.databaseUrl === undefined ? embeddedPollMs : clusterPollMs),
  }));
export type Config = z.infer<typeof Config>;

/** Embedded (SQLite in the data dir, one process) or cluster (shared PostgreSQL). */
export function runtimeMode(config: Pick<Config, 'databaseUrl'>): 'embedded' | 'cluster' {
  return config.databaseUrl === undefined ? 'embedded' : 'cluster';
}

export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  /** Command-line flags; they win over the environment. */
  flags?: Partial<Record<keyof Config, string | number | undefined>>;
}

const envNames: Record<keyof Config, string> = {
  host: 'WEFT_HOST',
  port: 'WEFT_PORT',
  dataDir: 'WEFT_DATA_DIR',
  adminToken: 'WEFT_ADMIN_TOKEN',
  logLevel: 'WEFT_LOG_LEVEL',
  leaseMs: 'WEFT_LEASE_MS',
  heartbeatMs: 'WEFT_HEARTBEAT_MS',
  workerConcurrency: 'WEFT_WORKER_CONCURRENCY',
  pollMs: 'WEFT_POLL_MS',
  flowsDir: 'WEFT_FLOWS_DIR',
  connectionsDir: 'WEFT_CONNECTIONS_DIR',
  sandboxPort: 'WEFT_SANDBOX_PORT',
  healthPort: 'WEFT_HEALTH_PORT',
  secretsKey: 'WEFT_SECRETS_KEY',
  secretsKeyFile: 'WEFT_SECRETS_KEY_FILE',
  secretsPreviousKeys: 'WEFT_SECRETS_PREVIOUS_KEYS',
  databaseUrl: 'WEFT_DATABASE_URL',
  databasePoolSize: 'WEFT_DATABASE_POOL_SIZE',
};

/** Reads the configuration once; a bad value names the variable or flag that carried it. */
export function loadConfig(sources: ConfigSources): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, envName] of Object.entries(envNames) as [keyof Config, string][]) {
    const flag = sources.flags?.[key];
    const value = flag ?? sources.env[envName];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = Config.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = i.path[0] as keyof Config;
      return `${envNames[key] ?? String(key)}: ${i.message}`;
    });
    throw new WeftError({
      code: 'invalid_input',
      message: `invalid configuration:\n  ${problems.join('\n  ')}`,
      details: { problems },
    });
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
}

/** Secrets referenced by flows (`secret: NAME`) resolve from `WEFT_SECRET_<NAME>`. */
export interface SecretSource {
  get(name: string): string | undefined;
}

export function envSecrets(env: NodeJS.ProcessEnv): SecretSource {
  return { get: (name) => env[`WEFT_SECRET_${name}`] };
}
