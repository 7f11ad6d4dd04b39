import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { Limits } from './schemas.js';
import { dataPath } from './version.js';

export const limitActions = {
  'limits.get': defineAction({
    kind: 'read',
    name: 'limits.get',
    description: "The org's limits, e.g. DailyApiRequests {Max, Remaining}",
    input: z.object({}),
    output: Limits,
    run: async (ctx) => (await ctx.http.request({ method: 'GET', path: dataPath(ctx, '/limits') })).body,
  }),
};
