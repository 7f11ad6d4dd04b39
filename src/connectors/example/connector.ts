import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { pii } from '../../connector/classification.js';
import { defineConnector } from '../../connector/connector.js';
import type { ConnectorContext } from '../../connector/context.js';
import { defineWebhookTrigger } from '../../connector/triggers.js';

/** The smallest useful connector: a fictional "Notes" API. Read docs/connectors/writing-a-connector.md. */
export const Note = z.looseObject({
  id: z.string(),
  text: z.string(),
  author: pii(z.string()),
  ref: z.string(),
});

/** The ledger look-up: did an earlier attempt with this key land? */
const findByRef = async (ctx: ConnectorContext, ref: string) =>
  z
    .object({ items: z.array(Note) })
    .parse((await ctx.http.request({ method: 'GET', path: '/notes', query: { ref } })).body).items[0];

export const notesConnector = defineConnector({
  name: 'notes',
  title: 'Notes (example)',
  defaultBaseUrl: 'https://notes.example.com/api',
  auth: ['bearer'],
  objects: { note: Note },
  actions: {
    'notes.get': defineAction({
      kind: 'read',
      name: 'notes.get',
      description: 'Fetch one note',
      input: z.object({ id: z.string() }),
      output: Note,
      run: async (ctx, { id }) =>
        (await ctx.http.request({ method: 'GET', path: `/notes/${encodeURIComponent(id)}` })).body,
    }),
    'notes.create': defineAction({
      kind: 'write',
      name: 'notes.create',
      description: 'Create a note; the API has no idempotency key, so a retry first looks for its ref',
      input: z.object({ text: z.string(), author: pii(z.string()) }),
      output: Note,
      idempotency: { strategy: 'ledger', lookup: (ctx, _input, key) => findByRef(ctx, key) },
      run: async (ctx, input, call) =>
        (
          await ctx.http.request({
            method: 'POST',
            path: '/notes',
            json: { ...input, ref: call.idempotencyKey },
          })
        ).body,
    }),
  },
  webhookTriggers: {
    changes: defineWebhookTrigger({
      name: 'changes',
      description: 'X-Notes-Signature: hex HMAC-SHA256 of the body',
      event: Note,
      verify: (req, secrets) => {
        const given = Buffer.from(req.headers.get('x-notes-signature') ?? '');
        const ok = secrets.some((s) => {
          const want = Buffer.from(createHmac('sha256', s).update(req.rawBody).digest('hex'));
          return want.length === given.length && timingSafeEqual(want, given);
        });
        return ok
          ? { ok: true }
          : { ok: false, reason: given.length ? 'bad_signature' : 'missing_signature' };
      },
      parse: (raw) =>
        [Note.parse(JSON.parse(raw))].map((n) => ({ dedupeKey: n.id, type: 'note.changed', payload: n })),
    }),
  },
});
