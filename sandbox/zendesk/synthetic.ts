import { z } from 'zod';
import type { Organization } from './organizations.js';
import { insert, isoSeconds, nextId, nowSeconds, type ZendeskState } from './state.js';
import type { Ticket } from './tickets.js';
import { userByEmail } from './users.js';

/** `POST /_sandbox/seed`: plain records for tests, written directly (no events), all at one second if asked. */
export const SyntheticSeed = z.object({
  tickets: z.number().int().min(0).max(5000).optional(),
  users: z.number().int().min(0).max(5000).optional(),
  organizations: z.number().int().min(0).max(5000).optional(),
  /** Every seeded record gets this `updated_at` (to test equal timestamps); default now. */
  updatedAt: z.iso.datetime().optional(),
});
export type SyntheticSeed = z.infer<typeof SyntheticSeed>;

export function seedSynthetic(state: ZendeskState, opts: SyntheticSeed): { ids: Record<string, number[]> } {
  const at = isoSeconds(opts.updatedAt ? Date.parse(opts.updatedAt) : nowSeconds(state));
  const ids: Record<string, number[]> = { tickets: [], users: [], organizations: [] };
  const admin = userByEmail(state, state.agentEmail);
  return state.kit.store.transaction(() => {
    for (let i = 0; i < (opts.organizations ?? 0); i++) {
      const id = nextId(state, 'organization');
      const org: Organization = {
        id,
        name: `Seeded Org ${id}`,
        external_id: null,
        tags: [],
        domain_names: [],
        details: null,
        notes: null,
        group_id: null,
        shared_tickets: false,
        shared_comments: false,
        organization_fields: {},
        created_at: at,
        updated_at: at,
        deleted_at: null,
      };
      insert(state, 'organization', org);
      ids.organizations?.push(id);
    }
    for (let i = 0; i < (opts.users ?? 0); i++) {
      const id = nextId(state, 'user');
      insert(state, 'user', {
        id,
        name: `Seeded User ${id}`,
        email: `seeded.${id}@example.com`,
        role: 'end-user',
        organization_id: null,
        external_id: null,
        active: true,
        verified: true,
        suspended: false,
        tags: [],
        phone: null,
        user_fields: {},
        created_at: at,
        updated_at: at,
      });
      ids.users?.push(id);
    }
    for (let i = 0; i < (opts.tickets ?? 0); i++) {
      const id = nextId(state, 'ticket');
      const ticket: Ticket = {
        id,
        external_id: null,
        subject: `Seeded ticket ${id}`,
        raw_subject: `Seeded ticket ${id}`,
        description: 'Seeded by the sandbox admin API',
        status: 'open',
        priority: 'normal',
        type: 'question',
        requester_id: admin?.id ?? 0,
        submitter_id: admin?.id ?? 0,
        assignee_id: null,
        organization_id: null,
        group_id: null,
        tags: [],
        custom_fields: [],
        via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
        is_public: true,
        brand_id: 1,
        created_at: at,
        updated_at: at,
      };
      insert(state, 'ticket', ticket);
      ids.tickets?.push(id);
    }
    return { ids };
  });
}
