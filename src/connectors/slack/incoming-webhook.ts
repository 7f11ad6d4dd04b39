import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { parseRetryAfter } from '../../connector/http-errors.js';
import { WeftError } from '../../contract/errors.js';
import { slackErrorVerdict } from './errors.js';
import { SlackBlock, SlackTs } from './schemas.js';

/**
 * The setting that once held the webhook URL, in clear. It is refused, not read: the URL is the
 * credential, so it belongs in the Connection's sealed `auth` (`kind: webhook-url`).
 */
const legacySetting = 'incomingWebhookUrl';
/** Waits for a 429 up to this long inside one attempt; rate-limited posts are never resent blindly. */
const maxInlineWaitMs = 30_000;
const maxInlineTries = 4;

const Input = z
  .object({
    text: confidential(z.string().max(40_000)).optional(),
    blocks: z.array(SlackBlock).max(50).optional(),
    attachments: z.array(z.record(z.string(), z.unknown())).max(100).optional(),
    thread_ts: SlackTs.optional(),
    mrkdwn: z.boolean().optional(),
    unfurl_links: z.boolean().optional(),
    unfurl_media: z.boolean().optional(),
  })
  .refine(
    (i) => (i.text ?? '').trim() !== '' || (i.blocks?.length ?? 0) > 0 || (i.attachments?.length ?? 0) > 0,
    {
      message: 'give text, blocks or attachments',
    },
  );

/** `confirmed: false` means a retry did not resend because an earlier attempt may have posted. */
const Output = z.object({ ok: z.literal(true), confirmed: z.boolean() });

/** The webhook URL from the Connection's `webhook-url` credential; errors never contain it. */
function webhookUrl(ctx: ConnectorContext): URL {
  const url = ctx.auth.credentialUrl?.();
  if (url !== undefined) return url;
  const moved =
    ctx.connection.settings[legacySetting] === undefined
      ? ''
      : ` (the ${legacySetting} setting is no longer read: a setting is shown in clear)`;
  throw new WeftError({
    code: 'invalid_input',
    message: `Connection ${ctx.connection.id} has no incoming webhook: give it auth kind webhook-url with the URL as a secret${moved}`,
  });
}

/** Where an error may say it went: the host only, never the secret path. */
const where = (url: URL) => `Slack incoming webhook on ${url.host}`;

async function postOnce(url: URL, body: string): Promise<{ status: number; text: string; headers: Headers }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, text: (await res.text()).trim(), headers: res.headers };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    const errno =
      err instanceof Error && err.cause instanceof Error
        ? (err.cause as NodeJS.ErrnoException).code
        : undefined;
    // No `cause`: a fetch error's text can carry the URL, and the URL is the secret.
    throw new WeftError({
      code: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network',
      message: `${where(url)} did not answer${errno ? ` (${errno})` : ''}`,
      retryable: true,
      details: errno ? { errno } : {},
    });
  }
}

/**
 * Posts to an incoming webhook: JSON in, plain text out (`ok`, or an error code with 4xx/5xx).
 * Incoming webhooks cannot be read back, so the ledger look-up cannot ask Slack whether an
 * earlier attempt landed; a retry therefore does not resend (at most once, `confirmed: false`).
 * 429s are waited out within the attempt, so a rate-limited post is still delivered.
 */
export const incomingWebhookActions = {
  'incomingWebhook.send': defineAction({
    kind: 'write',
    name: 'incomingWebhook.send',
    description: 'Post to the channel of the Connection’s incoming webhook (auth kind webhook-url)',
    input: Input,
    output: Output,
    idempotency: { strategy: 'ledger', lookup: async () => ({ ok: true as const, confirmed: false }) },
    run: async (ctx, input) => {
      const url = webhookUrl(ctx);
      const body = JSON.stringify(input);
      for (let attempt = 1; ; attempt++) {
        const res = await postOnce(url, body);
        if (res.status >= 200 && res.status < 300) return { ok: true, confirmed: true };
        const error = /^[a-z_]+$/.test(res.text) ? res.text : `http_${res.status}`;
        if (res.status === 429) {
          const wait = parseRetryAfter(res.headers.get('retry-after'), ctx.now()) ?? 1000 * attempt;
          if (attempt < maxInlineTries && wait <= maxInlineWaitMs) {
            await new Promise((r) => setTimeout(r, wait));
            continue;
          }
          throw new WeftError({
            code: 'rate_limited',
            retryable: true,
            retryAfterMs: wait,
            message: `${where(url)} answered 429 ${error}`,
            details: { status: 429, slackError: error },
          });
        }
        throw hookError(url, res.status, error);
      }
    },
  }),
  'incomingWebhook.check': defineAction({
    kind: 'read',
    name: 'incomingWebhook.check',
    description:
      'Check the incoming webhook without posting: an empty payload, which Slack refuses with no_text once the URL is right',
    input: z.object({}),
    output: z.object({ ok: z.literal(true) }),
    run: async (ctx) => {
      const url = webhookUrl(ctx);
      const res = await postOnce(url, '{}');
      const error = /^[a-z_]+$/.test(res.text) ? res.text : `http_${res.status}`;
      // The URL was accepted and only the (empty) message refused: nothing was posted.
      if (res.status === 400 && emptyPayloadAnswers.has(error)) return { ok: true as const };
      if (res.status >= 200 && res.status < 300) return { ok: true as const };
      if (res.status === 429) {
        throw new WeftError({
          code: 'rate_limited',
          retryable: true,
          ...withRetryAfter(parseRetryAfter(res.headers.get('retry-after'), ctx.now())),
          message: `${where(url)} answered 429 ${error}`,
          details: { status: 429, slackError: error },
        });
      }
      // A wrong URL is a wrong credential: Slack says 403 invalid_token, or 404 no_service/no_team.
      if (res.status === 404 && (error === 'no_service' || error === 'no_team')) {
        throw new WeftError({
          code: 'auth',
          message: `${where(url)} answered 404 ${error}: the webhook URL is wrong or was removed`,
          details: { status: 404, slackError: error },
        });
      }
      throw hookError(url, res.status, error);
    },
  }),
};

/** What Slack answers a well-addressed webhook for a payload with nothing to post. */
const emptyPayloadAnswers = new Set(['no_text', 'invalid_payload']);

function withRetryAfter(ms: number | undefined): { retryAfterMs?: number } {
  return ms === undefined ? {} : { retryAfterMs: ms };
}

/** A webhook's plain-text refusal as a WeftError: the host and Slack's code, never the URL. */
function hookError(url: URL, status: number, error: string): WeftError {
  const verdict =
    status >= 500 ? { code: 'unavailable' as const, retryable: true } : slackErrorVerdict(error);
  return new WeftError({
    code: verdict.code === 'http_error' && status === 404 ? 'not_found' : verdict.code,
    retryable: verdict.retryable,
    message: `${where(url)} answered ${status} ${error}`,
    details: { status, slackError: error },
  });
}
