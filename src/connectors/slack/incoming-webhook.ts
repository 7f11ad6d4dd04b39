import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { confidential } from '../../connector/classification.js';
import type { ConnectorContext } from '../../connector/context.js';
import { parseRetryAfter } from '../../connector/http-errors.js';
import { WeftError } from '../../contract/errors.js';
import { slackErrorVerdict } from './errors.js';
import { SlackBlock, SlackTs } from './schemas.js';

/** The Connection setting holding the webhook URL. The URL is the credential: treat it as a secret. */
export const incomingWebhookSetting = 'incomingWebhookUrl';
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

/** The webhook URL from the Connection, checked; errors never contain it. */
function webhookUrl(ctx: ConnectorContext): URL {
  const raw = ctx.connection.settings[incomingWebhookSetting];
  let url: URL | undefined;
  try {
    url = raw === undefined ? undefined : new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || !/^https?:$/.test(url.protocol)) {
    throw new WeftError({
      code: 'invalid_input',
      message: `Connection ${ctx.connection.id} has no usable ${incomingWebhookSetting} setting`,
    });
  }
  return url;
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
    description: 'Post to the channel of the Connection’s incoming webhook (URL kept as a secret setting)',
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
        const verdict =
          res.status >= 500 ? { code: 'unavailable' as const, retryable: true } : slackErrorVerdict(error);
        throw new WeftError({
          code: verdict.code === 'http_error' && res.status === 404 ? 'not_found' : verdict.code,
          retryable: verdict.retryable,
          message: `${where(url)} answered ${res.status} ${error}`,
          details: { status: res.status, slackError: error },
        });
      }
    },
  }),
};
