import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { startWeft } from '../main.js';
import { silentLogger } from '../observability/logger.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-connections-start-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Connections at start', () => {
  it('applies the connections directory, with a generated key in embedded mode', async () => {
    const dataDir = path.join(dir, 'data');
    const connectionsDir = path.join(dir, 'connections');
    fs.mkdirSync(connectionsDir);
    fs.writeFileSync(
      path.join(connectionsDir, 'stripe.yaml'),
      'name: stripe-main\nconnector: stripe\nauth:\n  kind: bearer\n  token: { secret: START_KEY }\n',
    );
    const config = loadConfig({
      env: { WEFT_DATA_DIR: dataDir, WEFT_PORT: '0', WEFT_ADMIN_TOKEN: 'start-test-admin-token-123' },
      flags: { connectionsDir },
    });
    const weft = await startWeft(config, {
      logger: silentLogger,
      secrets: { get: (name) => (name === 'START_KEY' ? 'sk_test_start_secret_value' : undefined) },
    });
    try {
      const res = await fetch(`${weft.url}/api/connections/stripe-main`, {
        headers: { authorization: 'Bearer start-test-admin-token-123' },
      });
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(JSON.parse(text)).toMatchObject({
        connector: 'stripe',
        auth: { kind: 'bearer', fields: ['token'] },
      });
      expect(text).not.toContain('sk_test_start_secret_value');
      expect(fs.statSync(path.join(dataDir, 'secrets.key')).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(path.join(dataDir, 'weft.db')).includes('sk_test_start_secret_value')).toBe(
        false,
      );
    } finally {
      await weft.stop();
    }
  });

  it('refuses cluster mode without a secrets key before connecting to anything', async () => {
    const config = loadConfig({ env: { WEFT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } });
    await expect(startWeft(config, { logger: silentLogger })).rejects.toThrow(
      /WEFT_SECRETS_KEY or WEFT_SECRETS_KEY_FILE is required/,
    );
  });
});
