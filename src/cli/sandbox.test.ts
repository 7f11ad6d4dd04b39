import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConnectionSource } from '../connections/yaml.js';
import { connect } from '../connector/connector.js';
import { connectorCatalog, findConnector } from '../connectors/catalog.js';
import { createCliContext } from './context.js';
import type { CliIo } from './io.js';
import { openSandboxes } from './sandbox.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cli-sandbox-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('weft sandbox', () => {
  it('starts the seven Systems and writes Connections that reach each of them', async () => {
    let out = '';
    const io: CliIo = {
      out: (t) => {
        out += t;
      },
      err: () => undefined,
      env: { WEFT_DATA_DIR: path.join(dir, 'data') },
      readFile: async (p) => fs.readFileSync(p, 'utf8'),
    };
    const connectionsOut = path.join(dir, 'connections');
    const systems = await openSandboxes(createCliContext(io), {
      port: '0',
      weftUrl: 'http://127.0.0.1:8080/',
      connectionsOut,
    });
    try {
      const files = fs.readdirSync(connectionsOut).sort();
      expect(files).toEqual(
        ['hubspot', 'netsuite', 'salesforce', 'servicenow', 'slack', 'stripe', 'zendesk'].map(
          (s) => `${s}.yaml`,
        ),
      );
      for (const file of files) {
        const { spec } = parseConnectionSource({
          source: fs.readFileSync(path.join(connectionsOut, file), 'utf8'),
          file,
          secrets: { get: () => undefined },
          catalog: connectorCatalog,
        });
        // Every written Connection passes its connector's own probe against its sandbox.
        const entry = findConnector(spec.connector);
        const probe = entry?.probe;
        if (entry === undefined || probe === undefined) throw new Error(`no probe for ${spec.connector}`);
        const connected = connect(entry.connector, { ...spec, id: spec.name });
        await expect(connected.run(probe.action, probe.input)).resolves.toBeDefined();
      }
      expect(out).toContain('webhooks to http://127.0.0.1:8080/hooks/connections/hubspot/events');
      expect(out).toContain(`weft start --connections ${connectionsOut}`);
    } finally {
      await systems.close();
    }
  });
});
