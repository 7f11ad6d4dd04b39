import type { ActionDefinition } from '../connector/action.js';
import type { ConnectedConnector } from '../connector/connector.js';
import type { OpenedConnection } from '../engine/connection-access.js';
import type { Logger } from '../observability/logger.js';

/** A connector bound to a Connection, as `connect()` returns it. */
export type OpenConnection = ConnectedConnector<Record<string, ActionDefinition>>;

/**
 * The connectors this process opened, one per Connection, each tagged with the fingerprint of the
 * stored record it was built from. A replaced or deleted Connection's connector is retired: no
 * longer handed out, and closed (its PostgreSQL pool ended) only after `retireAfterMs`, so a step
 * or poll pass that already holds it can finish; closing at once would fail its next statement.
 */
export class OpenedConnectors {
  readonly #opened = new Map<string, { fingerprint: string; opened: OpenedConnection }>();
  /** Retired connectors waiting out their grace period, with their timers. */
  readonly #retiring = new Map<OpenConnection, NodeJS.Timeout>();

  constructor(private readonly opts: { retireAfterMs: number; logger: Logger }) {}

  /** The connector opened from this exact record, if it is still kept. */
  current(name: string, fingerprint: string): OpenedConnection | undefined {
    const kept = this.#opened.get(name);
    return kept?.fingerprint === fingerprint ? kept.opened : undefined;
  }

  /** Keeps `opened` for `name`, retiring the one it replaces. */
  keep(name: string, fingerprint: string, opened: OpenedConnection): void {
    this.retire(name);
    this.#opened.set(name, { fingerprint, opened });
  }

  /** The kept connector now matches a newer record (a change it already applied itself). */
  refingerprint(name: string, fingerprint: string): void {
    const kept = this.#opened.get(name);
    if (kept !== undefined) kept.fingerprint = fingerprint;
  }

  /** Stops handing out this Connection's connector and closes it after the grace period. */
  retire(name: string): void {
    const kept = this.#opened.get(name);
    if (kept === undefined) return;
    this.#opened.delete(name);
    const connected = kept.opened.connected;
    const timer = setTimeout(() => {
      this.#retiring.delete(connected);
      void this.#closeQuietly(connected);
    }, this.opts.retireAfterMs);
    // A pending close must not keep the process alive; closeAll() ends it at shutdown anyway.
    timer.unref();
    this.#retiring.set(connected, timer);
  }

  /** Retires every kept connector whose record `isCurrent` no longer confirms (changed or gone). */
  async sweep(isCurrent: (name: string, fingerprint: string) => Promise<boolean>): Promise<void> {
    for (const [name, kept] of [...this.#opened]) {
      if (!(await isCurrent(name, kept.fingerprint)) && this.#opened.get(name) === kept) this.retire(name);
    }
  }

  /** Closes every connector, kept or retiring. */
  async closeAll(): Promise<void> {
    const connectors = [
      ...[...this.#opened.values()].map((o) => o.opened.connected),
      ...this.#retiring.keys(),
    ];
    for (const timer of this.#retiring.values()) clearTimeout(timer);
    this.#retiring.clear();
    this.#opened.clear();
    await Promise.all(connectors.map((c) => this.#closeQuietly(c)));
  }

  async #closeQuietly(connected: OpenConnection): Promise<void> {
    try {
      await connected.close();
    } catch (err) {
      // Never the error's details: a driver's message may carry connection parameters.
      this.opts.logger.warn(
        { connector: connected.connector.name },
        `closing a connector failed: ${err instanceof Error ? err.name : 'unknown error'}`,
      );
    }
  }
}
