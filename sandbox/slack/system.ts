import { z } from 'zod';
import type { SandboxKit, SandboxRequest, SandboxResponse, SandboxSystem } from '../common/server.js';
import {
  deleteMessage,
  type MethodContext,
  postEphemeral,
  postMessage,
  storeMessage,
  updateMessage,
} from './chat.js';
import { history, listConversations, listUsers, lookupUserByEmail, replies } from './conversations.js';
import { sendEvent, verifyRequestUrl } from './events.js';
import { slackId, workspace } from './ids.js';
import { findHook, hookAnswer, hookUrl, receiveHook } from './incoming-webhooks.js';
import { fail, okAnswer, type Params, readParams, str, tokenOf } from './params.js';
import { auth } from './render.js';
import { seedBase, seedBusiness } from './seed.js';
import { SlackTiers } from './tiers.js';
import { SlackWorkspace } from './workspace.js';

type Method = (p: Params, ctx: MethodContext) => SandboxResponse;

/** The Web API methods the sandbox answers, by name. */
const methods: Record<string, Method> = {
  'auth.test': () => okAnswer(auth()),
  'chat.postMessage': postMessage,
  'chat.update': updateMessage,
  'chat.delete': deleteMessage,
  'chat.postEphemeral': postEphemeral,
  'conversations.list': listConversations,
  'conversations.history': history,
  'conversations.replies': replies,
  'users.list': listUsers,
  'users.lookupByEmail': lookupUserByEmail,
};
const writes = new Set(['chat.postMessage', 'chat.update', 'chat.delete', 'chat.postEphemeral']);

export interface SlackSystemOptions {
  botTokens: readonly string[];
  revokedTokens: readonly string[];
  hookSecret: string;
  tierLimits: boolean;
  /** The sandbox's own URL (known once it listens): webhook URLs are built on it. */
  baseUrl(): string;
}

const SeedBody = z.object({
  channels: z.number().int().min(0).max(5000).optional(),
  messages: z.object({ channel: z.string(), count: z.number().int().min(1).max(10_000) }).optional(),
});
const UserPost = z.object({
  channel: z.string(),
  text: z.string().min(1),
  user: z.string().optional(),
  thread_ts: z.string().optional(),
});
const NewChannel = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,80}$/),
  isPrivate: z.boolean().optional(),
  isArchived: z.boolean().optional(),
  botMember: z.boolean().optional(),
});

function retryAfter(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/**
 * Slack as a sandbox System: the Web API under `/api/<method>` (bearer bot token, JSON or form
 * bodies, `{ok:false}` errors on HTTP 200, 429 + Retry-After per tier) and incoming webhooks under
 * `/services/T…/B…/<secret>` (plain-text answers); Events API deliveries signed with
 * `X-Slack-Signature` to the kit's webhook targets.
 */
export function slackSystem(kit: SandboxKit, opts: SlackSystemOptions): SandboxSystem {
  const ws = new SlackWorkspace(kit.store);
  const tiers = new SlackTiers();
  tiers.enabled = opts.tierLimits;
  const parsed = new WeakMap<SandboxRequest, Params | { error: string }>();
  const paramsOf = (req: SandboxRequest) => {
    let p = parsed.get(req);
    if (p === undefined) {
      p = readParams(req);
      parsed.set(req, p);
    }
    return p;
  };
  const ctx = (): MethodContext => {
    const nowMs = kit.now();
    return { ws, nowMs, emit: (event) => sendEvent(kit.webhooks, event, nowMs) };
  };
  const isHook = (req: SandboxRequest) => req.path.startsWith('/services/');
  const methodOf = (req: SandboxRequest) => (req.path.startsWith('/api/') ? req.path.slice(5) : undefined);

  return {
    name: 'slack',
    authenticate(req) {
      if (isHook(req)) {
        const hook = findHook(req.path, (id) => ws.hook(id));
        return 'id' in hook ? `hook:${hook.id}` : hook;
      }
      if (methodOf(req) === undefined) return { status: 404, body: { ok: false, error: 'unknown_method' } };
      const p = paramsOf(req);
      const token = tokenOf(req, 'error' in p ? {} : p);
      if (token === undefined) return fail('not_authed');
      if (opts.revokedTokens.includes(token)) return fail('token_revoked');
      if (!opts.botTokens.includes(token)) return fail('invalid_auth');
      return token;
    },
    rateLimited(req, window) {
      if (isHook(req)) return hookAnswer(429, 'rate_limited', retryAfter(window.resetMs));
      return { status: 429, headers: retryAfter(window.resetMs), body: { ok: false, error: 'ratelimited' } };
    },
    serverError(req) {
      if (isHook(req)) return hookAnswer(500, 'rollup_error');
      return { status: 500, body: { ok: false, error: 'internal_error' } };
    },
    isWrite(req) {
      return isHook(req) ? req.method === 'POST' : writes.has(methodOf(req) ?? '');
    },
    handle(req, account) {
      const c = ctx();
      if (isHook(req)) {
        const hook = ws.hook(account.slice('hook:'.length));
        if (hook === undefined) return hookAnswer(404, 'no_service');
        const wait = tiers.take({ account, method: 'incoming-webhook', nowMs: c.nowMs });
        if (wait !== undefined) return hookAnswer(429, 'rate_limited', retryAfter(wait));
        return receiveHook(req, hook, c);
      }
      const name = methodOf(req) ?? '';
      const method = methods[name];
      if (method === undefined) return fail('unknown_method', { req_method: name });
      const p = paramsOf(req);
      if ('error' in p) return fail(p.error as string);
      const channelArg = str(p, 'channel');
      const channel = channelArg === undefined ? undefined : (ws.channel(channelArg)?.id ?? channelArg);
      const wait = tiers.take({ account, method: name, channel, nowMs: c.nowMs });
      if (wait !== undefined)
        return { status: 429, headers: retryAfter(wait), body: { ok: false, error: 'ratelimited' } };
      return method(p, c);
    },
    seed({ business }) {
      ws.clearCaches();
      tiers.clear();
      seedBase(ws, opts.hookSecret);
      if (business) seedBusiness(ws);
    },
    async admin(method, path, body) {
      if (method === 'POST' && path === '/_sandbox/seed') {
        const b = SeedBody.safeParse(body);
        if (!b.success) return { status: 400, body: { error: b.error.message } };
        const now = kit.now();
        kit.store.transaction(() => {
          for (let i = 0; i < (b.data.channels ?? 0); i++) {
            ws.addChannel({
              name: `seeded-${kit.store.nextNumber('seeded-channel')}`,
              created: Math.floor(now / 1000),
              creator: workspace.botUserId,
            });
          }
          const m = b.data.messages;
          const ch = m ? ws.channel(m.channel) : undefined;
          for (let i = 0; m && ch && i < m.count; i++) {
            const ts = ws.nextTs(ch.id, now);
            ws.addMessage({
              channel: ch.id,
              ts,
              parentTs: null,
              metadata: null,
              appId: null,
              message: { type: 'message', text: `Seeded message ${i + 1}`, user: workspace.botUserId, ts },
            });
          }
        });
        return { status: 200, body: { seeded: b.data } };
      }
      if (method === 'POST' && path === '/_sandbox/slack/channels') {
        const b = NewChannel.safeParse(body);
        if (!b.success) return { status: 400, body: { error: b.error.message } };
        if (ws.channel(b.data.name)) return { status: 409, body: { error: 'name_taken' } };
        const ch = ws.addChannel({
          name: b.data.name,
          created: Math.floor(kit.now() / 1000),
          creator: workspace.botUserId,
          isPrivate: b.data.isPrivate ?? false,
          isArchived: b.data.isArchived ?? false,
          members: b.data.botMember === false ? [] : [workspace.botUserId],
        });
        return { status: 200, body: ch };
      }
      if (method === 'POST' && path === '/_sandbox/slack/messages') {
        // A member of the workspace speaks: the way to make the sandbox send a user's message event.
        const b = UserPost.safeParse(body);
        if (!b.success) return { status: 400, body: { error: b.error.message } };
        const ch = ws.channel(b.data.channel);
        const user = b.data.user ?? ws.users().find((u) => !u.data.isBot)?.data.id;
        if (!ch || !user) return { status: 404, body: { error: 'channel_not_found' } };
        const record = storeMessage(ctx(), {
          channel: ch,
          message: { type: 'message', text: b.data.text, user, team: workspace.teamId },
          ...(b.data.thread_ts ? { threadTs: b.data.thread_ts } : {}),
        });
        return { status: 200, body: { channel: ch.id, ts: record.ts } };
      }
      if (method === 'POST' && path === '/_sandbox/slack/incoming-webhooks') {
        const ch = ws.channel(String((body as { channel?: unknown }).channel ?? ''));
        if (!ch) return { status: 404, body: { error: 'channel_not_found' } };
        const hook = { id: slackId('B', 10), channel: ch.id, secret: slackId('', 24) };
        ws.addHook(hook, kit.now());
        return { status: 200, body: { id: hook.id, channel: ch.id, url: hookUrl(opts.baseUrl(), hook) } };
      }
      if (method === 'POST' && path === '/_sandbox/slack/url-verification') {
        const b = z.object({ url: z.url(), secret: z.string().min(1) }).safeParse(body);
        if (!b.success) return { status: 400, body: { error: b.error.message } };
        return { status: 200, body: await verifyRequestUrl({ ...b.data, nowMs: kit.now() }) };
      }
      if (method === 'POST' && path === '/_sandbox/slack/tiers') {
        tiers.enabled = (body as { enabled?: unknown }).enabled !== false;
        tiers.clear();
        return { status: 200, body: { enabled: tiers.enabled } };
      }
      if (method === 'GET' && path === '/_sandbox/slack/stats') {
        return { status: 200, body: { tierRejected: tiers.rejected } };
      }
      return undefined;
    },
    counts() {
      return {
        channel: kit.store.count('channel'),
        user: kit.store.count('user'),
        message: kit.store.count('message'),
        incoming_webhook: kit.store.count('incoming_webhook'),
      };
    },
  };
}
