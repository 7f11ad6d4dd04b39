import { z } from 'zod';
import { AuthConfig } from '../connector/auth.js';
import { WeftError } from '../contract/errors.js';
import type { AuditInput } from '../store/port.js';
import type { ConnectionRecord } from '../store/records.js';
import { SecretBox } from './secret-box.js';
import type { ConnectionSpec, ConnectionView } from './spec.js';

/** What is sealed into `ConnectionRecord.secret`: everything secret about a Connection. */
const SealedSecrets = z.object({
  auth: AuthConfig,
  webhookSecrets: z.array(z.string()),
  /**
   * After the System rotated the refresh token: the one the operator declared. Re-applying that
   * same declaration (a YAML file at every start) then keeps the rotated token instead of
   * restoring one the System no longer accepts.
   */
  declaredRefreshToken: z.string().optional(),
});

/** The additional data a Connection's ciphertext is bound to: it opens only under its own name. */
function sealContext(name: string): string {
  return `weft:connection:${name}`;
}

/**
 * The record the store keeps for a spec: non-secret fields in the clear, the auth fields and
 * webhook secrets sealed with the current key.
 */
export function sealConnection(opts: {
  spec: ConnectionSpec;
  box: SecretBox;
  createdAt: number;
  updatedAt: number;
  /** See `SealedSecrets.declaredRefreshToken`. */
  declaredRefreshToken?: string;
}): ConnectionRecord {
  const { spec, box } = opts;
  const webhookSecrets = spec.webhookSecrets ?? [];
  const secrets = JSON.stringify({
    auth: spec.auth,
    webhookSecrets,
    ...(opts.declaredRefreshToken === undefined ? {} : { declaredRefreshToken: opts.declaredRefreshToken }),
  });
  return {
    name: spec.name,
    connector: spec.connector,
    baseUrl: spec.baseUrl ?? null,
    settings: spec.settings ?? {},
    limits: spec.limits ?? {},
    authKind: spec.auth.kind,
    authFields: authFieldsOf(spec.auth),
    webhookSecretCount: webhookSecrets.length,
    secret: box.seal(secrets, sealContext(spec.name)),
    createdAt: opts.createdAt,
    updatedAt: opts.updatedAt,
  };
}

/**
 * The spec back from a stored record. A key or ciphertext problem is a WeftError naming the
 * Connection and the key ids involved, never a value.
 */
export function openConnection(record: ConnectionRecord, box: SecretBox): ConnectionSpec {
  return openSealed(record, box).spec;
}

/** The spec and, after a rotation, the refresh token the operator declared. */
export function openSealed(
  record: ConnectionRecord,
  box: SecretBox,
): { spec: ConnectionSpec; declaredRefreshToken: string | undefined } {
  let plaintext: string;
  try {
    plaintext = box.open(record.secret, sealContext(record.name));
  } catch (err) {
    const reason = err instanceof WeftError ? err.message : 'cannot decrypt';
    const hint =
      err instanceof WeftError && err.details.reason === 'unknown_key'
        ? ' (set WEFT_SECRETS_KEY or WEFT_SECRETS_KEY_FILE to the key it was stored with, or list that key in WEFT_SECRETS_PREVIOUS_KEYS)'
        : '';
    throw new WeftError({
      code: 'internal',
      message: `connection '${record.name}': its secrets ${reason.replace(/^cannot decrypt: /, 'cannot be decrypted: ')}${hint}`,
      details: { connection: record.name, ...(err instanceof WeftError ? err.details : {}) },
    });
  }
  const secrets = SealedSecrets.parse(JSON.parse(plaintext));
  const spec: ConnectionSpec = {
    name: record.name,
    connector: record.connector,
    ...(record.baseUrl === null ? {} : { baseUrl: record.baseUrl }),
    auth: secrets.auth,
    ...(Object.keys(record.settings).length === 0 ? {} : { settings: record.settings }),
    ...(Object.keys(record.limits).length === 0 ? {} : { limits: record.limits }),
    ...(secrets.webhookSecrets.length === 0 ? {} : { webhookSecrets: secrets.webhookSecrets }),
  };
  return { spec, declaredRefreshToken: secrets.declaredRefreshToken };
}

/** The public view of a record; it needs no key. */
export function viewConnection(record: ConnectionRecord): ConnectionView {
  return {
    name: record.name,
    connector: record.connector,
    baseUrl: record.baseUrl,
    settings: record.settings,
    limits: record.limits,
    auth: { kind: record.authKind, fields: record.authFields },
    webhookSecrets: record.webhookSecretCount,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The audit entry of a write to a Connection: what changed, and which secrets are set, never their values. */
export function auditFor(opts: {
  actor: string;
  action: string;
  record: ConnectionRecord;
  at: number;
}): AuditInput {
  const r = opts.record;
  return {
    actor: opts.actor,
    action: opts.action,
    target: r.name,
    at: opts.at,
    data: {
      connector: r.connector,
      baseUrl: r.baseUrl,
      authKind: r.authKind,
      authFields: r.authFields,
      webhookSecrets: r.webhookSecretCount,
      settings: r.settings,
      limits: r.limits,
      keyId: SecretBox.keyIdOf(r.secret) ?? null,
    },
  };
}

/** The auth fields that carry a value, by name (never the values). */
export function authFieldsOf(auth: AuthConfig): string[] {
  return Object.entries(auth)
    .filter(([k, v]) => k !== 'kind' && v !== undefined)
    .map(([k]) => k)
    .sort();
}

/** Every secret value of a spec, to scrub from text that might echo one (error messages). */
export function secretValuesOf(spec: ConnectionSpec): string[] {
  const values = Object.entries(spec.auth)
    .filter(([k, v]) => k !== 'kind' && typeof v === 'string' && v.length >= 4)
    .map(([, v]) => v as string);
  return [...values, ...(spec.webhookSecrets ?? [])];
}

/** Replaces each secret value in `text` with `[redacted]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is removed whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}

/** Whether two specs say the same thing (so re-applying an unchanged file writes nothing). */
export function sameSpec(a: ConnectionSpec, b: ConnectionSpec): boolean {
  return canonical(normalize(a)) === canonical(normalize(b));
}

/** Empty settings, limits and webhook secrets mean the same as none. */
function normalize(spec: ConnectionSpec): ConnectionSpec {
  const { settings, limits, webhookSecrets, ...rest } = spec;
  return {
    ...rest,
    ...(settings && Object.keys(settings).length > 0 ? { settings } : {}),
    ...(limits && Object.keys(limits).length > 0 ? { limits } : {}),
    ...(webhookSecrets && webhookSecrets.length > 0 ? { webhookSecrets } : {}),
  };
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}
