import { timingSafeEqual } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../common/server.js';
import { type MethodContext, storeMessage } from './chat.js';
import { readContent } from './content.js';
import { workspace } from './ids.js';
import type { Params } from './params.js';
import type { HookRecord } from './workspace.js';

/** Incoming webhooks answer in plain text: `ok`, or the error code with a 4xx/5xx status. */
export function hookAnswer(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): SandboxResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: text };
}

const hookPath = /^\/services\/(T[A-Z0-9]+)\/(B[A-Z0-9]+)\/([A-Za-z0-9]+)$/;

/** The webhook a `/services/T…/B…/<secret>` path names, or Slack's refusal. */
export function findHook(
  path: string,
  lookup: (id: string) => HookRecord | undefined,
): HookRecord | SandboxResponse {
  const m = hookPath.exec(path);
  if (!m) return hookAnswer(404, 'no_service');
  const [, team, id, secret] = m as unknown as [string, string, string, string];
  if (team !== workspace.teamId) return hookAnswer(404, 'no_team');
  const hook = lookup(id);
  if (hook === undefined) return hookAnswer(404, 'no_service');
  const given = Buffer.from(secret);
  const expected = Buffer.from(hook.secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return hookAnswer(403, 'invalid_token');
  return hook;
}

export function hookUrl(baseUrl: string, hook: HookRecord): string {
  return `${baseUrl}/services/${workspace.teamId}/${hook.id}/${hook.secret}`;
}

/**
 * A POST to an incoming webhook: JSON (or a form with a `payload` JSON field), posted as a
 * `bot_message` into the channel chosen when the webhook was installed. `channel`, `username` and
 * icons cannot be overridden (app webhooks ignore them).
 */
export function receiveHook(req: SandboxRequest, hook: HookRecord, ctx: MethodContext): SandboxResponse {
  if (req.method !== 'POST') return hookAnswer(405, 'invalid_payload');
  let payload: unknown;
  try {
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    const raw = type.startsWith('application/x-www-form-urlencoded')
      ? (new URLSearchParams(req.body).get('payload') ?? '')
      : req.body;
    payload = JSON.parse(raw);
  } catch {
    return hookAnswer(400, 'invalid_payload');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return hookAnswer(400, 'invalid_payload');
  const content = readContent(payload as Params);
  if ('error' in content) {
    const known = ['no_text', 'too_many_attachments'];
    return hookAnswer(400, known.includes(content.error) ? content.error : 'invalid_payload');
  }
  const ch = ctx.ws.channel(hook.channel);
  if (ch === undefined) return hookAnswer(404, 'channel_not_found');
  if (ch.isArchived) return hookAnswer(410, 'channel_is_archived');
  const threadTs = (payload as { thread_ts?: unknown }).thread_ts;
  storeMessage(ctx, {
    channel: ch,
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: content.text,
      bot_id: hook.id,
      username: 'incoming-webhook',
      team: workspace.teamId,
      ...(content.blocks ? { blocks: content.blocks } : {}),
      ...(content.attachments ? { attachments: content.attachments } : {}),
    },
    ...(typeof threadTs === 'string' && ctx.ws.message(ch.id, threadTs) ? { threadTs } : {}),
    appId: null,
  });
  return hookAnswer(200, 'ok');
}
