import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { WeftError } from '../../contract/errors.js';
import { CompositeResponse } from './schemas.js';
import { dataPath, salesforceSettings } from './version.js';

const Subrequest = z.object({
  method: z.enum(['GET', 'PATCH']),
  /** Full path incl. `/services/data/vXX.X/…`, or a path below it (`/sobjects/Account/Ext__c/A1`). */
  url: z.string().min(1),
  referenceId: z.string().regex(/^[A-Za-z0-9_]+$/),
  body: z.record(z.string(), z.unknown()).optional(),
  httpHeaders: z.record(z.string(), z.string()).optional(),
});

/**
 * `POST /composite`: up to 25 subrequests in one API call, later ones using earlier answers through
 * `@{referenceId.id}`. Only reads (GET) and PATCH (upsert by External ID, or update by Id) are
 * accepted, because those converge when the whole composite is retried; a POST or DELETE in a
 * retried composite could create or fail twice. With `allOrNone` any failure rolls all back.
 */
export const compositeActions = {
  'composite.run': defineAction({
    kind: 'write',
    name: 'composite.run',
    description: 'Run up to 25 upserts/updates/reads in one call, with @{ref.id} references and allOrNone',
    input: z.object({
      allOrNone: z.boolean().default(true),
      compositeRequest: z.array(Subrequest).min(1).max(25),
    }),
    output: CompositeResponse,
    idempotency: { strategy: 'upsert', externalIdField: 'Weft_External_Id__c' },
    run: async (ctx, input) => {
      const prefix = `/services/data/v${salesforceSettings(ctx).apiVersion}`;
      const compositeRequest = input.compositeRequest.map((sub) => {
        const url = sub.url.startsWith('/services/data/') ? sub.url : `${prefix}${sub.url}`;
        if (sub.method === 'PATCH' && !/\/sobjects\/[A-Za-z_]+\/[A-Za-z0-9_@{}.]+(\/[^/]+)?$/.test(url)) {
          throw new WeftError({
            code: 'invalid_input',
            message: `composite.run: ${sub.referenceId} must PATCH a record (by Id or External ID), not ${url}`,
          });
        }
        return { ...sub, url };
      });
      return (
        await ctx.http.request({
          method: 'POST',
          path: dataPath(ctx, '/composite'),
          json: { allOrNone: input.allOrNone, compositeRequest },
        })
      ).body;
    },
  }),
};
