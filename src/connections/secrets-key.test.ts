import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import { secretsKeySource } from './secrets-key.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-secrets-key-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const key = Buffer.alloc(32, 3).toString('base64');
const base = {
  dataDir: dir,
  databaseUrl: undefined,
  secretsKeyFile: undefined,
  secretsPreviousKeys: undefined,
};

/** A logger that records its warnings. */
function recordingLogger() {
  const warnings: unknown[][] = [];
  const logger = Object.assign(Object.create(silentLogger), {
    warn: (...args: unknown[]) => {
      warnings.push(args);
    },
  }) as typeof silentLogger;
  return { logger, warnings };
}

describe('secretsKeySource', () => {
  it('uses WEFT_SECRETS_KEY, and a key file the same way', () => {
    const fromEnv = secretsKeySource({ config: { ...base, secretsKey: key }, logger: silentLogger }).box();
    const file = path.join(dir, 'mounted.key');
    fs.writeFileSync(file, key, { mode: 0o600 });
    const fromFile = secretsKeySource({
      config: { ...base, secretsKey: undefined, secretsKeyFile: file },
      logger: silentLogger,
    }).box();
    expect(fromFile.keyId).toBe(fromEnv.keyId);
    expect(fromFile.open(fromEnv.seal('x', 'c'), 'c')).toBe('x');
  });

  it('generates secrets.key (0600) in embedded mode on first use, says so, and reuses it', () => {
    const dataDir = path.join(dir, 'embedded');
    const { logger, warnings } = recordingLogger();
    const source = secretsKeySource({ config: { ...base, dataDir, secretsKey: undefined }, logger });
    const file = path.join(dataDir, 'secrets.key');
    expect(fs.existsSync(file)).toBe(false); // not before first use
    const box = source.box();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings)).toContain(file);
    expect(JSON.stringify(warnings)).not.toContain(fs.readFileSync(file, 'utf8').trim());
    const again = secretsKeySource({ config: { ...base, dataDir, secretsKey: undefined }, logger }).box();
    expect(again.keyId).toBe(box.keyId);
    expect(warnings).toHaveLength(1);
  });

  it('refuses cluster mode without a key, at once', () => {
    expect(() =>
      secretsKeySource({
        config: { ...base, secretsKey: undefined, databaseUrl: 'postgres://db/weft' },
        logger: silentLogger,
      }),
    ).toThrow(/WEFT_SECRETS_KEY or WEFT_SECRETS_KEY_FILE is required with WEFT_DATABASE_URL/);
  });

  it('names a missing or bad key file, never its content', () => {
    const missing = path.join(dir, 'nope.key');
    expect(() =>
      secretsKeySource({
        config: { ...base, secretsKey: undefined, secretsKeyFile: missing },
        logger: silentLogger,
      }),
    ).toThrow(/WEFT_SECRETS_KEY_FILE: cannot read .*nope\.key: ENOENT/);
    const bad = path.join(dir, 'bad.key');
    fs.writeFileSync(bad, 'c2hvcnQ=', { mode: 0o600 });
    expect(() =>
      secretsKeySource({
        config: { ...base, secretsKey: undefined, secretsKeyFile: bad },
        logger: silentLogger,
      }),
    ).toThrow(/bad\.key.*32 random bytes/);
  });
});
