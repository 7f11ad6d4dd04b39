import { z } from 'zod';
import { defineAction } from '../../connector/action.js';
import { isNotFound, ZendeskId, zendeskRequest } from './client.js';
import { Deleted } from './schemas.js';

/**
 * `DELETE /api/v2/<plural>/{id}` for records Zendesk removes outright: a retry first reads the
 * record, and one already gone was deleted by the earlier attempt.
 */
export function deleteAction<N extends string>(opts: { name: N; plural: string; description: string }) {
  return defineAction({
    kind: 'write',
    name: opts.name,
    description: opts.description,
    input: z.object({ id: ZendeskId }),
    output: Deleted,
    idempotency: {
      strategy: 'ledger',
      lookup: async (ctx, { id }) => {
        try {
          await zendeskRequest(ctx, { method: 'GET', path: `/api/v2/${opts.plural}/${id}` });
          return undefined;
        } catch (err) {
          if (isNotFound(err)) return { id, deleted: true as const };
          throw err;
        }
      },
    },
    run: async (ctx, { id }) => {
      await zendeskRequest(ctx, { method: 'DELETE', path: `/api/v2/${opts.plural}/${id}` });
      return { id, deleted: true };
    },
  });
}
