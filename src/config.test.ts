import { describe, expect, it } from 'vitest';
import { clusterPollMs, embeddedPollMs, loadConfig, runtimeMode } from './config.js';
import { WeftError } from './contract/errors.js';

describe('loadConfig: cluster mode', () => {
  it('is embedded without WEFT_DATABASE_URL, with the embedded poll', () => {
    const config = loadConfig({ env: {} });
    expect(config.databaseUrl).toBeUndefined();
    expect(runtimeMode(config)).toBe('embedded');
    expect(config.pollMs).toBe(embeddedPollMs);
  });

  it('takes a postgres:// or postgresql:// URL, with the cluster poll', () => {
    for (const url of ['postgres://weft:pw@db:5432/weft', 'postgresql://db/weft?sslmode=require']) {
      const config = loadConfig({ env: { WEFT_DATABASE_URL: url } });
      expect(config.databaseUrl).toBe(url);
      expect(runtimeMode(config)).toBe('cluster');
      expect(config.pollMs).toBe(clusterPollMs);
    }
  });

  it('keeps an explicit WEFT_POLL_MS in either mode', () => {
    expect(loadConfig({ env: { WEFT_POLL_MS: '250' } }).pollMs).toBe(250);
    expect(loadConfig({ env: { WEFT_POLL_MS: '250', WEFT_DATABASE_URL: 'postgres://db/w' } }).pollMs).toBe(
      250,
    );
  });

  it('refuses another scheme, naming the variable but never echoing the URL', () => {
    const error = (() => {
      try {
        loadConfig({ env: { WEFT_DATABASE_URL: 'mysql://root:hunter2@db/weft' } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(WeftError);
    expect((error as WeftError).message).toContain(
      'WEFT_DATABASE_URL: must start with postgres:// or postgresql://',
    );
    expect((error as WeftError).message).not.toContain('hunter2');
  });

  it('takes the worker concurrency from a flag over the environment', () => {
    const config = loadConfig({ env: { WEFT_WORKER_CONCURRENCY: '8' }, flags: { workerConcurrency: '3' } });
    expect(config.workerConcurrency).toBe(3);
  });
});
