/**
 * @module trigger/webhook-signature
 * Pure helpers for the webhook route: HMAC signature checks and dedupe keys. The route resolves
 * the secret and reads the raw body; nothing here does I/O.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureCheck } from '../contract/flow.js';
import type { CompiledFlow, Scope } from '../flow/compiled.js';
import type { EventPayload } from '../store/records.js';

export interface VerifySignature {
  check: SignatureCheck;
  /** The resolved value of `check.secret`. */
  secretValue: string;
  /** The body exactly as received: re-serialised JSON would not match the sender's digest. */
  rawBody: Buffer;
  /** The value of the `check.header` header, if the request had one. */
  headerValue: string | undefined;
}

/**
 * Whether `headerValue` is `prefix + digest` of the HMAC of the raw body, compared in constant
 * time. A missing header, a missing prefix or a malformed digest is simply `false`.
 *
 * @example
 * verifySignature({ check, secretValue: 's3cret', rawBody, headerValue: req.headers['x-hub-signature-256'] })
 */
export function verifySignature(input: VerifySignature): boolean {
  const { check, secretValue, rawBody } = input;
  const header = input.headerValue?.trim();
  if (header === undefined || !header.startsWith(check.prefix)) return false;
  const given = decodeDigest(header.slice(check.prefix.length).trim(), check.encoding);
  if (given === undefined) return false;
  const expected = createHmac(check.algorithm, secretValue).update(rawBody).digest();
  // timingSafeEqual throws on a length mismatch; a length says nothing about the secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function decodeDigest(text: string, encoding: SignatureCheck['encoding']): Buffer | undefined {
  if (encoding === 'hex') {
    return /^(?:[0-9a-fA-F]{2})+$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  }
  // Buffer.from ignores bad base64 characters; reject them instead of comparing garbage.
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** Longer dedupe keys are stored as their sha256, so a key always fits an index. */
export const MAX_DEDUPE_KEY_LENGTH = 200;

export interface ExtractDedupeKey {
  /** The flow the webhook belongs to: its `trigger.dedupe` rule and compiled expression. */
  flow: CompiledFlow;
  /** The incoming event (headers lower-cased). */
  payload: EventPayload;
  receivedAt: number;
}

/**
 * The dedupe key of an incoming webhook event by the flow's `trigger.dedupe` rule: a header's
 * value, or the value of an expression over `event` (strings and numbers as text, other values as
 * JSON). `null` when the flow has no rule or the value is missing, so the event is not deduped.
 * An expression that fails throws its WeftError (`expression_error` / `expression_timeout`).
 *
 * @example
 * const key = await extractDedupeKey({ flow, payload: { body, headers, query }, receivedAt: Date.now() });
 */
export async function extractDedupeKey(input: ExtractDedupeKey): Promise<string | null> {
  const { flow, payload } = input;
  const trigger = flow.definition.trigger;
  const rule = trigger.kind === 'webhook' ? trigger.dedupe : undefined;
  if (rule === undefined) return null;

  let value: unknown;
  if (rule.header !== undefined) {
    value = payload.headers[rule.header.toLowerCase()];
  } else if (rule.expression !== undefined) {
    value = await flow.expression(rule.expression).evaluate(webhookScope(input));
  }
  return dedupeKeyText(value);
}

/**
 * What a dedupe expression sees: the event being received (it has no id yet) and no steps.
 */
export function webhookScope(input: ExtractDedupeKey): Scope {
  const { flow, payload, receivedAt } = input;
  return {
    event: {
      id: '',
      source: 'webhook',
      receivedAt: new Date(receivedAt).toISOString(),
      body: payload.body,
      headers: payload.headers,
      query: payload.query,
    },
    steps: {},
    run: { id: '', flow: flow.version.flowName, version: flow.version.version },
  };
}

function dedupeKeyText(value: unknown): string | null {
  if (value === undefined || value === null || typeof value === 'function') return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === '') return null;
  if (text.length <= MAX_DEDUPE_KEY_LENGTH) return text;
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
