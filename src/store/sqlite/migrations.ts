/**
 * The SQLite schema, as numbered migrations applied in order and recorded in `schema_migrations`.
 * Kept as TypeScript rather than `.sql` files so `tsc` ships them in `dist/` without a copy step.
 * Never edit a released migration: add the next one.
 *
 * Conventions: times are INTEGER epoch milliseconds, JSON is TEXT, ids are time-ordered text.
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
  id           TEXT PRIMARY KEY,
  flow_name    TEXT NOT NULL,
  version      INTEGER NOT NULL,
  source_hash  TEXT NOT NULL,
  source       TEXT NOT NULL,
  definition   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  UNIQUE (flow_name, version)
);

CREATE TABLE flows (
  name                TEXT PRIMARY KEY,
  current_version_id  TEXT NOT NULL REFERENCES flow_versions (id),
  current_version     INTEGER NOT NULL,
  trigger_kind        TEXT NOT NULL,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE TABLE events (
  id           TEXT PRIMARY KEY,
  flow_name    TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('webhook', 'schedule', 'manual')),
  dedupe_key   TEXT,
  payload      TEXT NOT NULL,
  received_at  INTEGER NOT NULL
);
-- A repeated dedupe key is dropped; events without one never collide.
CREATE UNIQUE INDEX events_dedupe ON events (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_flow ON events (flow_name, id);

CREATE TABLE runs (
  id                TEXT PRIMARY KEY,
  event_id          TEXT NOT NULL REFERENCES events (id),
  flow_name         TEXT NOT NULL,
  flow_version_id   TEXT NOT NULL REFERENCES flow_versions (id),
  status            TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed')),
  run_at            INTEGER NOT NULL,
  lease_owner       TEXT,
  lease_expires_at  INTEGER,
  output            TEXT,
  error             TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  finished_at       INTEGER
);
-- The claim reads due runs per status in (run_at, id) order: the index must match that ORDER BY,
-- or every claim sorts (measured: 10x slower).
CREATE INDEX runs_claim ON runs (status, run_at, id);
-- Expired leases: only running runs have one.
CREATE INDEX runs_lease ON runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_event ON runs (event_id);
CREATE INDEX runs_flow ON runs (flow_name, id);
CREATE INDEX runs_status ON runs (status, id);

-- A rowid table (not WITHOUT ROWID): the rowid keeps the order in which steps were first written.
CREATE TABLE journal (
  run_id        TEXT NOT NULL REFERENCES runs (id),
  step_id       TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'retrying', 'waiting')),
  attempts      INTEGER NOT NULL,
  input         TEXT NOT NULL,
  output        TEXT NOT NULL,
  error         TEXT,
  resume_at     INTEGER,
  -- NULL: no edit. Otherwise JSON text, so an edit to JSON null stays distinct from "no edit".
  edited_input  TEXT,
  started_at    INTEGER NOT NULL,
  finished_at   INTEGER,
  PRIMARY KEY (run_id, step_id)
);

-- The write ledger, checked before every retry of an outbound write.
CREATE TABLE actions (
  idempotency_key   TEXT PRIMARY KEY,
  run_id            TEXT NOT NULL REFERENCES runs (id),
  step_id           TEXT NOT NULL,
  item_key          TEXT NOT NULL,
  attempts          INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  request           TEXT NOT NULL,
  response_status   INTEGER,
  response          TEXT NOT NULL,
  first_attempt_at  INTEGER NOT NULL,
  last_attempt_at   INTEGER NOT NULL
);
CREATE INDEX actions_run ON actions (run_id);

CREATE TABLE exceptions (
  id           TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (id),
  flow_name    TEXT NOT NULL,
  step_id      TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('open', 'retrying', 'resolved')),
  error        TEXT NOT NULL,
  -- Copied out of error so the queue can be filtered by cause.
  error_code   TEXT NOT NULL,
  input        TEXT NOT NULL,
  attempts     INTEGER NOT NULL,
  retries      INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  resolved_at  INTEGER,
  resolved_by  TEXT,
  resolution   TEXT,
  UNIQUE (run_id, step_id)
);
CREATE INDEX exceptions_status ON exceptions (status, id);
CREATE INDEX exceptions_flow ON exceptions (flow_name, status, id);

CREATE TABLE schedule_state (
  flow_name        TEXT PRIMARY KEY,
  flow_version_id  TEXT NOT NULL,
  last_tick_at     INTEGER NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);

-- Append-only and hash-chained. The store assigns seq itself (the hash covers it); AUTOINCREMENT
-- still guarantees a number is never handed out twice.
CREATE TABLE audit_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  data       TEXT,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
`;

/**
 * Limits (see postgres/migrations.ts for the why): the run's per-flow concurrency limit, claim
 * indexes split between unlimited and limited runs, and the rate-limit buckets.
 */
const limits = `
ALTER TABLE runs ADD COLUMN concurrency INTEGER;
DROP INDEX runs_claim;
CREATE INDEX runs_claim_free ON runs (status, run_at, id) WHERE concurrency IS NULL;
CREATE INDEX runs_claim_limited ON runs (flow_name, status, run_at, id) WHERE concurrency IS NOT NULL;

CREATE TABLE rate_limits (
  key         TEXT PRIMARY KEY,
  tokens      REAL NOT NULL,
  updated_at  INTEGER NOT NULL,
  granted     INTEGER NOT NULL
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
  name             TEXT PRIMARY KEY,
  connector        TEXT NOT NULL,
  base_url         TEXT,
  settings         TEXT NOT NULL,
  limits           TEXT NOT NULL,
  auth_kind        TEXT NOT NULL,
  auth_fields      TEXT NOT NULL,
  webhook_secrets  INTEGER NOT NULL,
  secret           TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
`;

/**
 * Poll triggers: one durable cursor per (Connection, trigger), leased to one poller at a time.
 * Events gain the `poll` source; SQLite cannot alter a CHECK, so the table is rebuilt the way
 * SQLite documents it (migrate() runs with foreign keys off and checks them before committing).
 */
const triggerCursors = `
CREATE TABLE trigger_cursors (
  key          TEXT PRIMARY KEY,
  cursor       TEXT,
  lease_owner  TEXT,
  lease_until  INTEGER NOT NULL DEFAULT 0,
  polled_at    INTEGER,
  updated_at   INTEGER NOT NULL
);
CREATE TABLE events_005 (
  id           TEXT PRIMARY KEY,
  flow_name    TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('webhook', 'schedule', 'manual', 'poll')),
  dedupe_key   TEXT,
  payload      TEXT NOT NULL,
  received_at  INTEGER NOT NULL
);
INSERT INTO events_005 (id, flow_name, source, dedupe_key, payload, received_at)
  SELECT id, flow_name, source, dedupe_key, payload, received_at FROM events;
DROP TABLE events;
ALTER TABLE events_005 RENAME TO events;
CREATE UNIQUE INDEX events_dedupe ON events (flow_name, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX events_flow ON events (flow_name, id);
`;

/** Every migration, oldest first. */
export const migrations: readonly Migration[] = [
  { version: 1, id: '001_init', sql: init },
  { version: 2, id: '002_limits', sql: limits },
  { version: 3, id: '003_token_names', sql: tokenNames },
  { version: 4, id: '004_connections', sql: connections },
  { version: 5, id: '005_trigger_cursors', sql: triggerCursors },
];
