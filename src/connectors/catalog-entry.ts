import type { AuthKind } from '../connector/auth.js';
import type { Connection, ConnectorDefinition } from '../connector/connector.js';

/** A read action and input that prove auth and reachability without side effects. */
export interface CatalogProbe {
  action: string;
  input: unknown;
}

/** One connector Weft ships, and how `weft connections test` checks a Connection of it. */
export interface CatalogEntry {
  connector: ConnectorDefinition;
  /**
   * The cheap authenticated read the test runs. Absent for a connector without a read action (the
   * generic `http`): the test then makes an authenticated `GET` of the base URL and judges its status,
   * because running a write to find out would have side effects.
   */
  probe?: CatalogProbe;
  /** For an auth kind the main probe cannot check (a Slack webhook URL cannot call `auth.test`). */
  probeByAuth?: Partial<Record<AuthKind, CatalogProbe>>;
  /**
   * What a Connection reaches, for messages ("cannot reach db.internal:5432"): a host, never a
   * secret. Default: the host of the base URL, which some Systems do not use (PostgreSQL).
   */
  target?: (connection: Connection) => string;
}

/** The probe for a Connection with this auth kind, or undefined for the base-URL reachability check. */
export function probeOf(entry: CatalogEntry, authKind: AuthKind): CatalogProbe | undefined {
  return entry.probeByAuth?.[authKind] ?? entry.probe;
}

/** The host a Connection reaches, as messages name it. */
export function targetOf(entry: CatalogEntry, connection: Connection): string {
  return entry.target?.(connection) ?? baseUrlHost(entry.connector, connection);
}

export function baseUrlHost(connector: ConnectorDefinition, connection: Connection): string {
  return hostOf(connection.baseUrl ?? connector.defaultBaseUrl);
}

/** `host[:port]` of a URL; the text itself when it is not one. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
