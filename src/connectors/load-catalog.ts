import type { CatalogEntry } from './catalog-entry.js';

export type ConnectorCatalog = Readonly<Record<string, CatalogEntry>>;

/**
 * The connector catalog, loaded on first use: a process that never opens a Connection (a busy
 * webhook-and-HTTP deployment) does not carry every connector's schemas in memory.
 */
export async function loadConnectorCatalog(): Promise<ConnectorCatalog> {
  return (await import('./catalog.js')).connectorCatalog;
}
