import { describe, expect, it } from 'vitest';
import { WeftError } from '../../src/contract/errors.js';
import { type ContractHarness, describeConnectorContract } from '../support/connector-contract.js';
import { postgresHarness } from './support/postgres-harness.js';

// One server for both blocks; the contract's afterAll tears it down after the last of them.
let shared: Promise<ContractHarness> | undefined;
const harness = () => {
  shared ??= postgresHarness();
  return shared;
};

describe('postgres contract harness', () => {
  it('loses the answer of a write only after the write committed', async () => {
    const h = await harness();
    const c = h.connect('valid');
    const before = await h.write.count();
    await h.write.dropNextResponse();
    const err = await h.write
      .run(c, { idempotencyKey: `lost-${Date.now()}`, attempt: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe('unavailable');
    // Already in before any retry: without the look-up, a retry would make it twice.
    expect(await h.write.count()).toBe(before + 1);
  });
});

describeConnectorContract('postgres', harness, {
  rateLimit: 'a database answers no request-rate signal; the pool size (settings.poolSize) bounds the load',
  webhook: 'PostgreSQL sends no webhooks; changes arrive through the changes poll trigger',
});
