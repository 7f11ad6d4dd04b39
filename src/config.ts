import path from 'node:path';
import { z } from 'zod';
import { WeftError } from './contract/errors.js';

/**
 * Every option Weft reads, with its default. Read and validated once at boot (`loadConfig`);
 * the rest of the code receives the typed result through Deps.
 */
export const Config = z.object({
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
  /** `WEFT_POLL_MS`: safety-net poll for due runs (timers, backoff, reclaimed leases). */
  pollMs: z.coerce.number().int().min(10).default(1_000),
  /** `WEFT_FLOWS_DIR` / `--flows`: deploy every *.yaml here at start. */
  flowsDir: z.string().optional(),
});
export type Config = z.infer<typeof Config>;

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
