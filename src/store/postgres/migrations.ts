import { auditGenesisHash } from '../audit-chain.js';

/**
 * The PostgreSQL schema, as numbered migrations applied in order and recorded in
 * `schema_migrations`. The same tables and meaning as the SQLite schema (src/store/sqlite/
 * migrations.ts); kept as TypeScript so `tsc` ships them in `dist/`. Never edit a released
 * migration: add the next one.
 *
 * Conventions:
 * - times are BIGINT epoch milliseconds (the store's pools parse int8 to number);
 * - JSON is JSONB, except audit data: the audit hash covers the JSON text as written, and JSONB
 *   would reorder its keys, so it stays TEXT;
 * - text that is sorted or compared (ids, names, keys) is COLLATE "C": byte order, like SQLite's
 *   BINARY, whatever the database's default locale. Ids sort by creation time only in byte order.
 */
export interface Migration {
  /** Sequence number; `schema_migrations.version`. */
  version: number;
  /** `001_init`: the name reported by `migrate()`. */
  id: string;
  sql: string;
}

const init = `
CREATE TABLE flow_versions (
  id           TEXT COLLATE "C" PRIMARY KEY,
  flow_name    TEXT COLLATE "C" NOT NULL,
  version      INTEGER NOT NULL,
  source_hash  TEXT NOT NULL,
  source       TEXT NOT NULL,
  definition   JSONB NOT NULL,
  created_at   BIGINT NOT NULL,
  created_by   TEXT NOT NULL,
  UNIQUE (flow_name, version)
);

CREATE TABLE flows (
  name                TEXT COLLATE "C" PRIMARY KEY,
  current_version_id  TEXT COLLATE "C" NOT NULL REFERENCES flow_versions (id),
  current_version     INTEGER NOT NULL,
  trigger_kind        TEXT NOT NULL,
  created_at          BIGINT NOT NULL,
  updated_at          BIGINT NOT NULL
);

CREATE TABLE events (
  id           TEXT COLLATE "C" PRIMARY KEY,
  flow_name    TEXT COLLATE "C" NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('webhook', 'schedule', 'manual')),
  dedupe_key   TEXT COLLATE "C",
  payload      JSONB NOT NULL,
  received_at  BIGINT NOT NULL
);
-- A repeated dedupe key is dropped; events without one never collide.
CREATE UNIQUE INDEX events_dedupe ON events (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_flow ON events (flow_name, id);

CREATE TABLE runs (
  id                TEXT COLLATE "C" PRIMARY KEY,
  event_id          TEXT COLLATE "C" NOT NULL REFERENCES events (id),
  flow_name         TEXT COLLATE "C" NOT NULL,
  flow_version_id   TEXT COLLATE "C" NOT NULL REFERENCES flow_versions (id),
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed')),
  run_at            BIGINT NOT NULL,
  lease_owner       TEXT,
  lease_expires_at  BIGINT,
  output            JSONB,
  error             JSONB,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  finished_at       BIGINT
);
-- The claim scans due runs per status in (run_at, id) order: the index must match that ORDER BY,
-- so SKIP LOCKED walks the index instead of sorting every candidate.
CREATE INDEX runs_claim ON runs (status, run_at, id);
CREATE INDEX runs_event ON runs (event_id);
CREATE INDEX runs_flow ON runs (flow_name, id);
CREATE INDEX runs_status ON runs (status, id);

-- seq keeps the order in which steps were first written (an upsert keeps it), like SQLite's rowid.
CREATE TABLE journal (
  run_id        TEXT COLLATE "C" NOT NULL REFERENCES runs (id),
  step_id       TEXT COLLATE "C" NOT NULL,
  seq           BIGINT GENERATED ALWAYS AS IDENTITY,
  status        TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'retrying', 'waiting')),
  attempts      INTEGER NOT NULL,
  input         JSONB NOT NULL,
  output        JSONB NOT NULL,
  error         JSONB,
  resume_at     BIGINT,
  -- SQL NULL: no edit. JSON null ('null'::jsonb) is a real edit, so the two stay distinct.
  edited_input  JSONB,
  started_at    BIGINT NOT NULL,
  finished_at   BIGINT,
  PRIMARY KEY (run_id, step_id)
);

-- The write ledger, checked before every retry of an outbound write.
CREATE TABLE actions (
  idempotency_key   TEXT COLLATE "C" PRIMARY KEY,
  seq               BIGINT GENERATED ALWAYS AS IDENTITY,
  run_id            TEXT COLLATE "C" NOT NULL REFERENCES runs (id),
  step_id           TEXT COLLATE "C" NOT NULL,
  item_key          TEXT COLLATE "C" NOT NULL,
  attempts          INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  request           JSONB NOT NULL,
  response_status   INTEGER,
  response          JSONB NOT NULL,
  first_attempt_at  BIGINT NOT NULL,
  last_attempt_at   BIGINT NOT NULL
);
CREATE INDEX actions_run ON actions (run_id);

CREATE TABLE exceptions (
  id           TEXT COLLATE "C" PRIMARY KEY,
  run_id       TEXT COLLATE "C" NOT NULL REFERENCES runs (id),
  flow_name    TEXT COLLATE "C" NOT NULL,
  step_id      TEXT COLLATE "C" NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'retrying', 'resolved')),
  error        JSONB NOT NULL,
  -- Copied out of error so the queue can be filtered by cause.
  error_code   TEXT COLLATE "C" NOT NULL,
  input        JSONB NOT NULL,
  attempts     INTEGER NOT NULL,
  retries      INTEGER NOT NULL DEFAULT 0,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  resolved_at  BIGINT,
  resolved_by  TEXT,
  resolution   TEXT,
  UNIQUE (run_id, step_id)
);
CREATE INDEX exceptions_status ON exceptions (status, id);
CREATE INDEX exceptions_flow ON exceptions (flow_name, status, id);

CREATE TABLE schedule_state (
  flow_name        TEXT COLLATE "C" PRIMARY KEY,
  flow_version_id  TEXT COLLATE "C" NOT NULL,
  last_tick_at     BIGINT NOT NULL
);

CREATE TABLE tokens (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  token_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at  BIGINT NOT NULL,
  revoked_at  BIGINT
);

-- Append-only and hash-chained. The store assigns seq itself (the hash covers it).
CREATE TABLE audit_events (
  seq        BIGINT PRIMARY KEY,
  at         BIGINT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  data       TEXT,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);

-- The chain's tip, one row. Appenders lock it (SELECT … FOR UPDATE) in the transaction of their
-- change, which serialises appends across processes without locking audit_events itself.
CREATE TABLE audit_chain_head (
  id    SMALLINT PRIMARY KEY CHECK (id = 1),
  seq   BIGINT NOT NULL,
  hash  TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '${auditGenesisHash}');
`;

/**
 * Limits that hold across processes. `runs.concurrency` is the limit of the run's flow version
 * (NULL: none), copied at acceptance so claims need no join. Claims of limited and unlimited runs
 * walk separate partial indexes: the unlimited claim never scans past a limited flow's backlog,
 * and a limited flow's due runs are found per flow. `rate_limits` holds the shared token buckets
 * (src/store/limits.ts); `granted` is the outcome of the last take, for the upsert's RETURNING.
 *
 * The index rebuild locks `runs` against writes while it runs: on a large table, plan the upgrade
 * for a quiet moment.
 */
const limits = `
ALTER TABLE runs ADD COLUMN concurrency INTEGER CHECK (concurrency IS NULL OR concurrency >= 1);
DROP INDEX runs_claim;
CREATE INDEX runs_claim_free ON runs (status, run_at, id) WHERE concurrency IS NULL;
CREATE INDEX runs_claim_limited ON runs (flow_name, status, run_at, id) WHERE concurrency IS NOT NULL;

CREATE TABLE rate_limits (
  key         TEXT COLLATE "C" PRIMARY KEY,
  tokens      DOUBLE PRECISION NOT NULL,
  updated_at  BIGINT NOT NULL,
  granted     BOOLEAN NOT NULL
);
`;

/**
 * Token names are unique among live (not revoked) tokens: the name is the audit actor. Tokens
 * that already share a live name keep working, but every one except the oldest is renamed to
 * `<name>-<id>` first, so the audit log can tell them apart from now on.
 */
const tokenNames = `
UPDATE tokens SET name = name || '-' || id
WHERE revoked_at IS NULL
  AND EXISTS (
    SELECT 1 FROM tokens older
    WHERE older.name = tokens.name AND older.revoked_at IS NULL AND older.id < tokens.id
  );
CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked_at IS NULL;
`;

/**
 * Connections: a configured Connector per name. Secrets (auth fields, webhook secrets) are only
 * stored sealed in `secret` (AES-256-GCM, sealed above the store); `auth_fields` and
 * `webhook_secrets` say which secrets are set, so lists need no key.
 */
const connections = `
CREATE TABLE connections (
  name             TEXT COLLATE "C" PRIMARY KEY,
  connector        TEXT NOT NULL,
  base_url         TEXT,
  settings         JSONB NOT NULL,
  limits           JSONB NOT NULL,
  auth_kind        TEXT NOT NULL,
  auth_fields      JSONB NOT NULL,
  webhook_secrets  INTEGER NOT NULL CHECK (webhook_secrets >= 0),
  secret           TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);
`;

/** Poll triggers: one durable cursor per (Connection, trigger), leased to one poller at a time. */
const triggerCursors = `
CREATE TABLE trigger_cursors (
  key          TEXT COLLATE "C" PRIMARY KEY,
  cursor       TEXT,
  lease_owner  TEXT,
  lease_until  BIGINT NOT NULL DEFAULT 0,
  polled_at    BIGINT,
  updated_at   BIGINT NOT NULL
);
ALTER TABLE events DROP CONSTRAINT events_source_check;
ALTER TABLE events ADD CONSTRAINT events_source_check CHECK (source IN ('webhook', 'schedule', 'manual', 'poll'));
`;

/** Every migration, oldest first. */
export const migrations: readonly Migration[] = [
  { version: 1, id: '001_init', sql: init },
  { version: 2, id: '002_limits', sql: limits },
  { version: 3, id: '003_token_names', sql: tokenNames },
  { version: 4, id: '004_connections', sql: connections },
  { version: 5, id: '005_trigger_cursors', sql: triggerCursors },
];
