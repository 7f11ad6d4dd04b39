import { describe, expect, it } from 'vitest';
import { WeftError } from '../contract/errors.js';
import { generateSecretsKey, SecretBox, secretsKeyFromBase64 } from './secret-box.js';

const secret = 'sk_live_very-secret-value-123';
const context = 'weft:connection:stripe-main';

function openError(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WeftError);
    return err as WeftError;
  }
  throw new Error('expected a failure');
}

describe('SecretBox', () => {
  it('round-trips, with a fresh IV per value and the key id in front', () => {
    const box = new SecretBox({ current: generateSecretsKey() });
    const a = box.seal(secret, context);
    const b = box.seal(secret, context);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(a.split(':').slice(0, 2)).toEqual(['gcm1', box.keyId]);
    expect(Buffer.from(a.split(':')[2] ?? '', 'base64url')).toHaveLength(12);
    expect(box.open(a, context)).toBe(secret);
    expect(box.open(b, context)).toBe(secret);
    expect(SecretBox.keyIdOf(a)).toBe(box.keyId);
  });

  it('names the key a value needs when this process has another, without the value', () => {
    const sealed = new SecretBox({ current: generateSecretsKey() }).seal(secret, context);
    const other = new SecretBox({ current: generateSecretsKey() });
    const err = openError(() => other.open(sealed, context));
    expect(err.details).toMatchObject({ reason: 'unknown_key', keyId: SecretBox.keyIdOf(sealed) });
    expect(err.message).toContain(other.keyId);
    expect(JSON.stringify(err.toJSON())).not.toContain(secret);
  });

  it('detects tampering with the ciphertext, the tag or the IV, and a value moved to another record', () => {
    const box = new SecretBox({ current: generateSecretsKey() });
    const sealed = box.seal(secret, context);
    const parts = sealed.split(':');
    const flip = (index: number) => {
      const bytes = Buffer.from(parts[index] ?? '', 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      return parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join(':');
    };
    for (const index of [2, 3, 4]) {
      expect(openError(() => box.open(flip(index), context)).details.reason).toBe('tampered');
    }
    expect(openError(() => box.open(sealed, 'weft:connection:other')).details.reason).toBe('tampered');
    expect(openError(() => box.open('not sealed', context)).details.reason).toBe('malformed');
  });

  it('opens values sealed with a previous key, and seals with the current one', () => {
    const old = generateSecretsKey();
    const sealedOld = new SecretBox({ current: old }).seal(secret, context);
    const rotated = new SecretBox({ current: generateSecretsKey(), previous: [old] });
    expect(rotated.open(sealedOld, context)).toBe(secret);
    expect(rotated.knows(old.id)).toBe(true);
    expect(SecretBox.keyIdOf(rotated.seal(secret, context))).toBe(rotated.keyId);
  });

  it('reads a key from base64 and refuses anything but 32 bytes, without echoing it', () => {
    const raw = Buffer.alloc(32, 9).toString('base64');
    expect(secretsKeyFromBase64(`${raw}\n`, 'WEFT_SECRETS_KEY').key).toEqual(Buffer.alloc(32, 9));
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(() => secretsKeyFromBase64(short, 'WEFT_SECRETS_KEY')).toThrow(
      /WEFT_SECRETS_KEY: .*32 random bytes/,
    );
    expect(() => secretsKeyFromBase64('not base64 at all!!', 'X')).toThrow(WeftError);
    try {
      secretsKeyFromBase64(short, 'WEFT_SECRETS_KEY');
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
  });
});
