import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { pii } from '../../connector/classification.js';
import { SlackUser } from './schemas.js';
import { slackCall } from './web-api.js';

export const userActions = {
  'auth.test': defineAction({
    kind: 'read',
    name: 'auth.test',
    description: 'Who the token is (bot user, workspace): the cheap check that auth works',
    input: z.object({}),
    output: z.looseObject({
      ok: z.literal(true),
      team_id: z.string(),
      team: z.string(),
      user_id: z.string(),
      user: z.string(),
      url: z.string(),
      bot_id: z.string().optional(),
    }),
    run: (ctx) => slackCall(ctx, 'auth.test', { query: {} }),
  }),
  'users.lookupByEmail': defineAction({
    kind: 'read',
    name: 'users.lookupByEmail',
    description: 'Find a workspace member by email (users:read.email); not_found when none',
    input: z.object({ email: pii(z.string().min(3)) }),
    output: z.looseObject({ ok: z.literal(true), user: SlackUser }),
    run: (ctx, input) => slackCall(ctx, 'users.lookupByEmail', { query: input }),
  }),
};
