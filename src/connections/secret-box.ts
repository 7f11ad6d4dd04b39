import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { WeftError } from '../contract/errors.js';

/** AES-256 takes a 32-byte key. */
export const secretsKeyBytes = 32;

/** The format tag of a sealed value; a new scheme gets a new tag, and old values still open. */
const format = 'gcm1';
const ivBytes = 12;
const tagBytes = 16;

/** One encryption key and its public id (a fingerprint, safe to store and to log). */
export interface SecretsKey {
  id: string;
  key: Buffer;
}

/**
 * Reads a key from its base64 text. `source` names where it came from (never the value) for the
 * error.
 *
 * @example const key = secretsKeyFromBase64(process.env.WEFT_SECRETS_KEY ?? '', 'WEFT_SECRETS_KEY');
 */
export function secretsKeyFromBase64(text: string, source: string): SecretsKey {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  // Buffer.from ignores junk characters, so also check the text round-trips.
  const canonical = key.toString('base64');
  if (key.length !== secretsKeyBytes || canonical.replace(/=+$/, '') !== trimmed.replace(/=+$/, '')) {
    throw new WeftError({
      code: 'invalid_input',
      message: `${source}: a secrets key must be the base64 of ${secretsKeyBytes} random bytes (e.g. \`openssl rand -base64 32\`)`,
    });
  }
  return { id: secretsKeyId(key), key };
}

/** A fresh random key. */
export function generateSecretsKey(): SecretsKey {
  const key = randomBytes(secretsKeyBytes);
  return { id: secretsKeyId(key), key };
}

/**
 * The key's id: a short fingerprint stored in front of every value it seals, so a value names the
 * key it needs (rotation) and a wrong key is reported as such instead of as tampering. 48 bits of
 * a hash of a 256-bit random key reveal nothing useful about it.
 */
export function secretsKeyId(key: Buffer): string {
  return `k${createHash('sha256').update('weft secrets key id\n').update(key).digest('hex').slice(0, 12)}`;
}

/** Why a sealed value did not open; `details.reason` of the WeftError. */
export type OpenFailure = 'malformed' | 'unknown_key' | 'tampered';

/**
 * Authenticated encryption of secret values at rest: AES-256-GCM with a random 12-byte IV per
 * value, the auth tag, and the sealing key's id in front (`gcm1:<keyId>:<iv>:<tag>:<ciphertext>`,
 * base64url). `context` (e.g. `connection:stripe-main`) is bound as additional data, so a
 * ciphertext copied to another record does not open there.
 *
 * Seals with `current`; opens with `current` or any of `previous` (key rotation).
 *
 * @example
 * const box = new SecretBox({ current: generateSecretsKey() });
 * const sealed = box.seal('sk_live_…', 'connection:stripe-main');
 * box.open(sealed, 'connection:stripe-main'); // 'sk_live_…'
 */
export class SecretBox {
  readonly #current: SecretsKey;
  readonly #keys: Map<string, SecretsKey>;

  constructor(opts: { current: SecretsKey; previous?: readonly SecretsKey[] }) {
    this.#current = opts.current;
    this.#keys = new Map([...(opts.previous ?? []), opts.current].map((k) => [k.id, k]));
  }

  /** The id of the key new values are sealed with. */
  get keyId(): string {
    return this.#current.id;
  }

  /** Whether a value sealed with this key id can be opened here. */
  knows(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
    return [format, this.#current.id, ...parts].join(':');
  }

  /**
   * Opens a sealed value. Throws WeftError `internal` with `details.reason` ({@link OpenFailure})
   * and `details.keyId`; the message never contains the value.
   */
  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    const [tag, keyId, iv, authTag, ciphertext] = parts;
    if (parts.length !== 5 || tag !== format || !keyId || !iv || !authTag || ciphertext === undefined) {
      throw openError('malformed', 'the stored value is not a sealed secret', keyId);
    }
    const key = this.#keys.get(keyId);
    if (key === undefined) {
      throw openError(
        'unknown_key',
        `it was encrypted with key ${keyId}, and this process has key ${this.#current.id}`,
        keyId,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), {
        authTagLength: tagBytes,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(authTag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw openError('tampered', 'it fails authentication: altered, or copied from another record', keyId);
    }
  }

  /** The key id in front of a sealed value, if it has one. */
  static keyIdOf(sealed: string): string | undefined {
    const [tag, keyId] = sealed.split(':');
    return tag === format ? keyId : undefined;
  }
}

function openError(reason: OpenFailure, message: string, keyId: string | undefined): WeftError {
  return new WeftError({
    code: 'internal',
    message: `cannot decrypt: ${message}`,
    details: { reason, ...(keyId ? { keyId } : {}) },
  });
}
