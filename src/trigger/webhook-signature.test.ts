import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureCheck } from '../contract/flow.js';
import { compileFlow } from '../flow/compile.js';
import type { CompiledFlow } from '../flow/compiled.js';
import { checkFlowSource } from '../flow/validate.js';
import { extractDedupeKey, MAX_DEDUPE_KEY_LENGTH, verifySignature } from './webhook-signature.js';

const rawBody = Buffer.from('{"id":"evt_1","amount":42}');
const secretValue = 'whsec_test';
const hmac = (algorithm: string, encoding: 'hex' | 'base64') =>
  createHmac(algorithm, secretValue).update(rawBody).digest(encoding);

describe('verifySignature', () => {
  const check = SignatureCheck.parse({ secret: 'HOOK_SECRET', prefix: 'sha256=' });

  it('accepts the HMAC of the raw body with its prefix', () => {
    expect(
      verifySignature({ check, secretValue, rawBody, headerValue: `sha256=${hmac('sha256', 'hex')}` }),
    ).toBe(true);
    expect(
      verifySignature({
        check,
        secretValue,
        rawBody,
        headerValue: `sha256=${hmac('sha256', 'hex').toUpperCase()}`,
      }),
    ).toBe(true);
  });

  it('supports base64 digests and other algorithms', () => {
    const b64 = SignatureCheck.parse({ secret: 'S', algorithm: 'sha512', encoding: 'base64' });
    expect(verifySignature({ check: b64, secretValue, rawBody, headerValue: hmac('sha512', 'base64') })).toBe(
      true,
    );
    expect(verifySignature({ check: b64, secretValue, rawBody, headerValue: hmac('sha256', 'base64') })).toBe(
      false,
    );
  });

  it.each([
    ['a missing header', undefined],
    ['a missing prefix', () => hmac('sha256', 'hex')],
    ['a wrong secret', () => `sha256=${createHmac('sha256', 'other').update(rawBody).digest('hex')}`],
    ['a truncated digest', () => `sha256=${hmac('sha256', 'hex').slice(0, 20)}`],
    ['a malformed digest', () => 'sha256=not-hex!'],
    ['an empty digest', () => 'sha256='],
  ])('rejects %s', (_name, header) => {
    const headerValue = typeof header === 'function' ? header() : header;
    expect(verifySignature({ check, secretValue, rawBody, headerValue })).toBe(false);
  });

  it('rejects a body changed after signing', () => {
    const headerValue = `sha256=${hmac('sha256', 'hex')}`;
    expect(
      verifySignature({
        check,
        secretValue,
        rawBody: Buffer.from('{"id":"evt_1","amount":43}'),
        headerValue,
      }),
    ).toBe(false);
  });
});

function flowWith(dedupe: string): CompiledFlow {
  const source = `name: hooks\ntrigger:\n  kind: webhook\n  path: hooks\n${dedupe}steps:\n  - id: a\n    kind: map\n    expression: event.body\n`;
  return compileFlow({
    id: 'fv_1',
    flowName: 'hooks',
    version: 2,
    sourceHash: 'h',
    source,
    definition: checkFlowSource(source, 'hooks.yaml'),
    createdAt: 0,
    createdBy: 't',
  });
}

describe('extractDedupeKey', () => {
  const payload = {
    body: { id: 'evt_1', n: 7, nested: { a: 1 } },
    headers: { 'x-delivery-id': 'd-123' },
    query: {},
  };

  it('is null without a dedupe rule', async () => {
    expect(await extractDedupeKey({ flow: flowWith(''), payload, receivedAt: 0 })).toBeNull();
  });

  it('reads a header, whatever the case of its name in the flow', async () => {
    const flow = flowWith('  dedupe:\n    header: X-Delivery-Id\n');
    expect(await extractDedupeKey({ flow, payload, receivedAt: 0 })).toBe('d-123');
    expect(await extractDedupeKey({ flow, payload: { ...payload, headers: {} }, receivedAt: 0 })).toBeNull();
  });

  it('evaluates an expression over the event', async () => {
    expect(
      await extractDedupeKey({
        flow: flowWith('  dedupe:\n    expression: event.body.id\n'),
        payload,
        receivedAt: 0,
      }),
    ).toBe('evt_1');
    expect(
      await extractDedupeKey({
        flow: flowWith('  dedupe:\n    expression: event.body.n\n'),
        payload,
        receivedAt: 0,
      }),
    ).toBe('7');
    expect(
      await extractDedupeKey({
        flow: flowWith('  dedupe:\n    expression: event.body.nested\n'),
        payload,
        receivedAt: 0,
      }),
    ).toBe('{"a":1}');
    expect(
      await extractDedupeKey({
        flow: flowWith('  dedupe:\n    expression: event.body.missing\n'),
        payload,
        receivedAt: 0,
      }),
    ).toBeNull();
  });

  it('hashes keys too long for an index', async () => {
    const long = 'x'.repeat(MAX_DEDUPE_KEY_LENGTH + 1);
    const key = await extractDedupeKey({
      flow: flowWith('  dedupe:\n    expression: event.body.id\n'),
      payload: { ...payload, body: { id: long } },
      receivedAt: 0,
    });
    expect(key).toBe(`sha256:${createHash('sha256').update(long).digest('hex')}`);
  });

  it('surfaces a failing expression as its WeftError', async () => {
    const flow = flowWith('  dedupe:\n    expression: $number(event.body.id)\n');
    await expect(extractDedupeKey({ flow, payload, receivedAt: 0 })).rejects.toMatchObject({
      code: 'expression_error',
    });
  });
});
