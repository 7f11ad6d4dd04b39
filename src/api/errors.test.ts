import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { WeftError } from '../contract/errors.js';
import { silentLogger } from '../observability/logger.js';
import { createErrorHandler } from './errors.js';

function appThrowing(err: Error) {
  const app = new Hono();
  app.onError(createErrorHandler(silentLogger));
  app.get('/x', () => {
    throw err;
  });
  return app;
}

describe('error mapping', () => {
  it('tells callers to come back when the database is briefly away', async () => {
    const res = await appThrowing(
      new WeftError({ code: 'unavailable', message: 'connect ECONNREFUSED 127.0.0.1:5432', retryable: true }),
    ).request('/x');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unavailable');
    // Internal detail (hosts, ports) never reaches the caller.
    expect(body.error.message).not.toContain('5432');
  });

  it('hides the text of unexpected failures', async () => {
    const res = await appThrowing(new Error('SELECT * FROM tokens failed')).request('/x');
    expect(res.status).toBe(500);
    expect(JSON.stringify(await res.json())).not.toContain('tokens');
  });
});
