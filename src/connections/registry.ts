import { type ConnectDeps, type Connection, connect } from '../connector/connector.js';
import type { CatalogEntry } from '../connectors/catalog-entry.js';
import { type ConnectorCatalog, loadConnectorCatalog } from '../connectors/load-catalog.js';
import type { Clock } from '../contract/clock.js';
import { WeftError } from '../contract/errors.js';
import type { ConnectionAccess, OpenedConnection } from '../engine/connection-access.js';
import type { Logger } from '../observability/logger.js';
import type { Store, Subscription } from '../store/port.js';
import type { ConnectionRecord } from '../store/records.js';
import { auditFor, openConnection, openSealed, sameSpec, sealConnection, viewConnection } from './codec.js';
import { type OpenConnection, OpenedConnectors } from './opened-connectors.js';

export type { OpenConnection };

import { SecretBox } from './secret-box.js';
import type { SecretsKeySource } from './secrets-key.js';
import { type ConnectionSpec, type ConnectionView, catalogProblems } from './spec.js';

/** A Connection ready to use: decrypted, with its connector. Holds secrets: never log or return it. */
export interface ResolvedConnection {
  /** Ready for `connect()`; `id` is the Connection's name. */
  connection: Connection;
  entry: CatalogEntry;
  /** Secrets that verify inbound webhooks from this System (0 to 2; try each). */
  webhookSecrets: string[];
}

export interface ConnectionRegistryDeps {
  store: Store;
  keys: SecretsKeySource;
  clock: Clock;
  logger: Logger;
  /** Default: the connectors Weft ships. */
  catalog?: Readonly<Record<string, CatalogEntry>>;
  /** Passed to every `connect()` (tests inject `fetch`). */
  connectDeps?: ConnectDeps;
  /**
   * How long a replaced or deleted Connection's connector stays open before it is closed (its
   * PostgreSQL pool ended), so a step or poll pass that already holds it can finish. Default 30 s.
   */
  retireAfterMs?: number;
}

const defaultRetireAfterMs = 30_000;

interface Loaded {
  resolved: ResolvedConnection;
  /** The stored record as text: when it changes, the opened connector is rebuilt. */
  fingerprint: string;
}

/**
 * Connections by name: reads them from the store, decrypts and caches them, and keeps one opened
 * connector per Connection so every user in this process shares its rate limiter (and its OAuth
 * token). Writes go through here too, so secrets are sealed before they reach the store.
 *
 * The cache is dropped on the store's `'connections'` topic ({@link ConnectionRegistry.follow}),
 * which every process hears after any process changes a Connection.
 *
 * @example
 * const registry = new ConnectionRegistry({ store, keys, clock, logger });
 * const stop = registry.follow();
 * const { connected } = await registry.open('stripe-main');
 * await connected.run('customers.list', { limit: 1 });
 * await registry.close(); // at shutdown: ends database pools
 */
export class ConnectionRegistry implements ConnectionAccess {
  readonly #deps: ConnectionRegistryDeps;
  readonly #loaded = new Map<string, Promise<Loaded>>();
  readonly #opened: OpenedConnectors;
  /** The last rotated-refresh-token save per Connection, so saves happen in order. */
  readonly #rotations = new Map<string, Promise<void>>();
  #closed = false;

  constructor(deps: ConnectionRegistryDeps) {
    this.#deps = deps;
    this.#opened = new OpenedConnectors({
      retireAfterMs: deps.retireAfterMs ?? defaultRetireAfterMs,
      logger: deps.logger,
    });
  }

  /** The connectors Connections may name: the given catalog, else Weft's own, loaded on first use. */
  async catalog(): Promise<ConnectorCatalog> {
    return this.#deps.catalog ?? (await loadConnectorCatalog());
  }

  /** Drops the cache whenever a Connection changes anywhere; call the result to stop. */
  follow(): Subscription {
    return this.#deps.store.subscribe((topic) => {
      if (topic !== 'connections') return;
      this.invalidate();
      this.#sweep().catch((err: unknown) =>
        this.#deps.logger.warn({ err: { message: String(err) } }, 'checking opened connections failed'),
      );
    });
  }

  /**
   * Closes every connector this registry opened (ends PostgreSQL pools), including replaced ones
   * still in their grace period. Call at shutdown, after the worker and triggers have stopped;
   * `open` refuses afterwards. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#loaded.clear();
    await this.#opened.closeAll();
  }

  /** Forgets every decrypted Connection; the next use reads the store again. */
  invalidate(): void {
    this.#loaded.clear();
  }

  /**
   * The decrypted Connection, its catalog entry and its webhook secrets. WeftError `not_found`
   * naming the Connection when there is none; `internal` when its secrets cannot be decrypted
   * (the message says which key it needs).
   */
  async resolve(name: string): Promise<ResolvedConnection> {
    return (await this.#load(name)).resolved;
  }

  /**
   * The connector bound to this Connection (`connected`), shared by every caller in this process:
   * one rate limiter (and OAuth token) per Connection. Rebuilt when the Connection changed since it
   * was opened. With it, the Connection's declared `limits` and its webhook secrets.
   */
  async open(name: string): Promise<OpenedConnection> {
    if (this.#closed) {
      throw new WeftError({
        code: 'unavailable',
        retryable: true,
        message: `connection '${name}' cannot be opened: this process is shutting down`,
      });
    }
    let loaded: Loaded;
    try {
      loaded = await this.#load(name);
    } catch (err) {
      if (err instanceof WeftError && err.code === 'not_found') this.#opened.retire(name);
      throw err;
    }
    const kept = this.#opened.current(name, loaded.fingerprint);
    if (kept !== undefined) return kept;
    // New, or changed since it was opened (here or elsewhere): the old connector is closed later.
    const { entry, connection, webhookSecrets } = loaded.resolved;
    const opened: OpenedConnection = {
      connected: connect(entry.connector, connection, {
        ...this.#deps.connectDeps,
        // A System that rotates refresh tokens invalidates the old one: keep the new one, or the
        // next process (or restart) would be locked out.
        onRefreshTokenRotated: (token) => this.#keepRotatedRefreshToken(name, token),
      }),
      ...(connection.limits === undefined ? {} : { limits: connection.limits }),
      webhookSecrets,
    };
    this.#opened.keep(name, loaded.fingerprint, opened);
    return opened;
  }

  /**
   * A connector of its own for this Connection, not shared and not kept (its own limiter): for a
   * one-off call such as `weft connections test`, with options of its own. The caller closes it.
   */
  async connectOnce(
    name: string,
    opts: { deps?: ConnectDeps; timeoutMs?: number } = {},
  ): Promise<OpenConnection> {
    const { resolved } = await this.#load(name);
    const connection: Connection =
      opts.timeoutMs === undefined
        ? resolved.connection
        : { ...resolved.connection, limits: { ...resolved.connection.limits, timeoutMs: opts.timeoutMs } };
    return connect(resolved.entry.connector, connection, { ...this.#deps.connectDeps, ...opts.deps });
  }

  async list(): Promise<ConnectionView[]> {
    return (await this.#deps.store.listConnections()).map(viewConnection);
  }

  async get(name: string): Promise<ConnectionView> {
    return viewConnection(await this.#record(name));
  }

  /**
   * Creates or replaces a Connection; its secrets are sealed with the current key. An unchanged
   * spec writes nothing (no audit entry), so applying the same files at every start is quiet.
   * A Connection sealed with a key this process does not have is not overwritten (`conflict`):
   * that is a process with the wrong key, and overwriting would lock the others out.
   */
  async put(input: {
    spec: ConnectionSpec;
    actor: string;
    now: number;
  }): Promise<{ connection: ConnectionView; created: boolean; changed: boolean }> {
    let { spec } = input;
    const problems = catalogProblems(spec, await this.catalog());
    if (problems.length > 0) {
      throw new WeftError({
        code: 'invalid_input',
        message: `connection '${spec.name}': ${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`,
        details: { issues: problems.map((p) => ({ path: p.path.join('.'), message: p.message })) },
      });
    }
    const box = this.#deps.keys.box();
    const existing = await this.#deps.store.getConnection(spec.name);
    const stored = existing === null ? undefined : tryOpenSealed(existing, box);
    let declaredRefreshToken: string | undefined;
    if (
      stored?.declaredRefreshToken !== undefined &&
      spec.auth.kind === 'oauth2-refresh-token' &&
      stored.spec.auth.kind === 'oauth2-refresh-token' &&
      spec.auth.refreshToken === stored.declaredRefreshToken
    ) {
      // The same declaration again: keep the token the System rotated to since.
      spec = { ...spec, auth: { ...spec.auth, refreshToken: stored.spec.auth.refreshToken } };
      declaredRefreshToken = stored.declaredRefreshToken;
    }
    if (existing !== null) {
      const keyId = SecretBox.keyIdOf(existing.secret);
      if (keyId !== undefined && !box.knows(keyId)) {
        throw new WeftError({
          code: 'conflict',
          message:
            `connection '${spec.name}' is stored with secrets key ${keyId}, which this process does not have ` +
            `(it has ${box.keyId}); set WEFT_SECRETS_KEY to that key, or delete the connection to replace it`,
          details: { connection: spec.name, keyId },
        });
      }
      // Unchanged and sealed with the current key: nothing to write. A stored value that does not
      // open (altered in the database) is simply replaced: the caller brings every secret anew.
      if (keyId === box.keyId && sameSpec(stored?.spec ?? { ...spec, name: '' }, spec)) {
        return { connection: viewConnection(existing), created: false, changed: false };
      }
    }
    const record = sealConnection({
      spec,
      box,
      createdAt: existing?.createdAt ?? input.now,
      updatedAt: input.now,
      ...(declaredRefreshToken === undefined ? {} : { declaredRefreshToken }),
    });
    const written = await this.#deps.store.putConnection({
      record,
      audit: auditFor({ actor: input.actor, action: 'connection.put', record, at: input.now }),
    });
    this.#forget(spec.name);
    this.#opened.retire(spec.name);
    return { connection: viewConnection(written.record), created: written.created, changed: true };
  }

  /** Deletes a Connection; WeftError `not_found` when there is none. */
  async delete(input: { name: string; actor: string; now: number }): Promise<ConnectionView> {
    const deleted = await this.#deps.store.deleteConnection({
      name: input.name,
      audit: { actor: input.actor, action: 'connection.delete', target: input.name, at: input.now },
    });
    this.#forget(input.name);
    this.#opened.retire(input.name);
    return viewConnection(deleted);
  }

  /**
   * Seals a rotated refresh token into the stored Connection. This process's opened connector
   * already uses it, so it stays (its fingerprint follows the new record); other processes rebuild
   * theirs from the record when the `connections` topic arrives. Saves run one at a time per
   * Connection, in rotation order.
   */
  #keepRotatedRefreshToken(name: string, refreshToken: string): void {
    const previous = this.#rotations.get(name) ?? Promise.resolve();
    const saving = previous
      .then(async () => {
        const existing = await this.#deps.store.getConnection(name);
        if (existing === null) return;
        const box = this.#deps.keys.box();
        const { spec, declaredRefreshToken } = openSealed(existing, box);
        if (spec.auth.kind !== 'oauth2-refresh-token' || spec.auth.refreshToken === refreshToken) return;
        const now = this.#deps.clock.now();
        const record = sealConnection({
          spec: { ...spec, auth: { ...spec.auth, refreshToken } },
          box,
          createdAt: existing.createdAt,
          updatedAt: now,
          // The first rotation remembers what the operator declared; later ones keep it.
          declaredRefreshToken: declaredRefreshToken ?? spec.auth.refreshToken,
        });
        const stored = await this.#deps.store.putConnection({
          record,
          audit: auditFor({ actor: 'system', action: 'connection.refresh-token-rotated', record, at: now }),
        });
        this.#opened.refingerprint(name, JSON.stringify(stored.record));
        this.#forget(name);
      })
      .catch((err: unknown) => {
        this.#deps.logger.error(
          { connection: name },
          `saving a rotated refresh token failed (${errorName(err)}); the stored one may no longer work`,
        );
      });
    this.#rotations.set(name, saving);
  }

  /** This process's own change is visible at once, without waiting for the topic. */
  #forget(name: string): void {
    this.#loaded.delete(name);
  }

  /** After a change anywhere: retires opened connectors whose Connection changed or is gone. */
  #sweep(): Promise<void> {
    return this.#opened.sweep(async (name, fingerprint) => {
      const record = await this.#deps.store.getConnection(name);
      return record !== null && JSON.stringify(record) === fingerprint;
    });
  }

  #load(name: string): Promise<Loaded> {
    const cached = this.#loaded.get(name);
    if (cached !== undefined) return cached;
    const loading = this.#read(name);
    this.#loaded.set(name, loading);
    // Failures are not cached: a Connection created a moment later, or a fixed key, works at once.
    loading.catch(() => {
      if (this.#loaded.get(name) === loading) this.#loaded.delete(name);
    });
    return loading;
  }

  async #read(name: string): Promise<Loaded> {
    const record = await this.#record(name);
    const spec = openConnection(record, this.#deps.keys.box());
    const catalog = await this.catalog();
    const entry = Object.hasOwn(catalog, spec.connector) ? catalog[spec.connector] : undefined;
    if (entry === undefined) {
      throw new WeftError({
        code: 'invalid_input',
        message: `connection '${name}' names connector '${spec.connector}', which this Weft does not have`,
        details: { connection: name, connector: spec.connector },
      });
    }
    const connection: Connection = {
      id: spec.name,
      connector: spec.connector,
      auth: spec.auth,
      ...(spec.baseUrl === undefined ? {} : { baseUrl: spec.baseUrl }),
      ...(spec.limits === undefined ? {} : { limits: spec.limits }),
      ...(spec.settings === undefined ? {} : { settings: spec.settings }),
    };
    return {
      resolved: { connection, entry, webhookSecrets: spec.webhookSecrets ?? [] },
      fingerprint: JSON.stringify(record),
    };
  }

  async #record(name: string): Promise<ConnectionRecord> {
    const record = await this.#deps.store.getConnection(name);
    if (record === null) {
      throw new WeftError({
        code: 'not_found',
        message: `no connection named '${name}'`,
        details: { connection: name },
      });
    }
    return record;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'unknown error';
}

/** A stored value that does not open (altered in the database) is simply replaced by a put. */
function tryOpenSealed(record: ConnectionRecord, box: SecretBox): ReturnType<typeof openSealed> | undefined {
  try {
    return openSealed(record, box);
  } catch {
    return undefined;
  }
}
