import { describe, expect, it } from 'vitest';
import { connectorCatalog } from './catalog.js';

describe('connector catalog', () => {
  it.each(Object.entries(connectorCatalog))(
    '%s: the probe is a read action whose input fits its schema',
    (name, entry) => {
      expect(entry.connector.name).toBe(name);
      const action = entry.connector.actions[entry.probe.action];
      expect(action?.kind).toBe('read');
      expect(action?.input.safeParse(entry.probe.input).success).toBe(true);
    },
  );
});
