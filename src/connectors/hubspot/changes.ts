import type { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import {
  definePollTrigger,
  type PollTriggerDefinition,
  type TriggerEvent,
} from '../../connector/triggers.js';
import { WeftError } from '../../contract/errors.js';
import type { CrmObjectType } from './object-actions.js';
import { HubSpotCompany, HubSpotContact, HubSpotDeal, HubSpotTask, searchPage } from './schemas.js';
import { hubspotSearchLimits, type SearchRequest } from './search.js';

type ChangedRecord = { id: string; properties: Record<string, unknown>; updatedAt: string };

interface ChangeSpec {
  singular: string;
  /** The last-modified property search filters and sorts on (contacts name it differently). */
  modified: string;
  created: string;
  record: z.ZodType<ChangedRecord>;
  properties: readonly string[];
}

const specs: Record<CrmObjectType, ChangeSpec> = {
  contacts: {
    singular: 'contact',
    modified: 'lastmodifieddate',
    created: 'createdate',
    record: HubSpotContact,
    properties: [
      'email',
      'firstname',
      'lastname',
      'phone',
      'company',
      'jobtitle',
      'lifecyclestage',
      'hubspot_owner_id',
    ],
  },
  companies: {
    singular: 'company',
    modified: 'hs_lastmodifieddate',
    created: 'createdate',
    record: HubSpotCompany,
    properties: ['name', 'domain', 'industry', 'city', 'country', 'lifecyclestage', 'hubspot_owner_id'],
  },
  deals: {
    singular: 'deal',
    modified: 'hs_lastmodifieddate',
    created: 'createdate',
    record: HubSpotDeal,
    properties: ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage', 'hubspot_owner_id'],
  },
  tasks: {
    singular: 'task',
    modified: 'hs_lastmodifieddate',
    created: 'hs_createdate',
    record: HubSpotTask,
    properties: ['hs_timestamp', 'hs_task_subject', 'hs_task_status', 'hs_task_priority', 'hubspot_owner_id'],
  },
};

/** Where a poll resumes: the last change delivered, as (last-modified ms, record id). */
interface Position {
  t: number;
  id: string;
}

export interface ChangesTriggerOptions {
  /** Records per search page (HubSpot allows 200). */
  pageSize?: number;
  /** Changes one poll returns at most; the rest come on the next poll. */
  maxChanges?: number;
}

/**
 * "Records changed since the cursor" for one CRM object, read with the search API on its
 * last-modified property. The cursor is composite, `<last-modified ms>:<id>`, and each query asks
 * for `modified > t OR (modified = t AND id > id)`, so records sharing a timestamp are neither
 * skipped nor repeated. HubSpot search takes one sort, so a page is ordered by time only: when a
 * full page ends inside a run of equal timestamps, that whole run is read separately in id order
 * before the cursor moves past it.
 *
 * Connection settings: `pollStartAt` (ISO; where a first poll starts, default an hour ago) and
 * `pollLagMs` (default 15000): changes newer than this are left for the next poll, because HubSpot's
 * search index trails writes by a few seconds and a record indexed late must not fall behind a
 * cursor that already moved on. The sandbox indexes at once and its Connection sets 0.
 */
export function hubspotChangesTrigger(
  type: CrmObjectType,
  opts: ChangesTriggerOptions = {},
): PollTriggerDefinition {
  const spec = specs[type];
  const pageSize = Math.min(opts.pageSize ?? 100, hubspotSearchLimits.pageSize);
  const maxChanges = opts.maxChanges ?? 500;
  const Page = searchPage(spec.record);
  const properties = [...spec.properties, spec.created, spec.modified];

  const search = async (ctx: ConnectorContext, body: SearchRequest) =>
    Page.parse(
      (await ctx.http.request({ method: 'POST', path: `/crm/v3/objects/${type}/search`, json: body })).body,
    );

  return definePollTrigger({
    name: `${type}.changed`,
    description: `${spec.singular} records created or changed since the cursor (search on ${spec.modified})`,
    record: spec.record,
    fetchChanges: async (ctx, cursor) => {
      let pos = cursor === null ? startPosition(ctx) : parseCursor(cursor);
      const lag = Number(ctx.connection.settings.pollLagMs ?? 15_000);
      const until =
        lag > 0
          ? [{ propertyName: spec.modified, operator: 'LTE' as const, value: String(ctx.now() - lag) }]
          : [];
      const changes: TriggerEvent<ChangedRecord>[] = [];
      const emit = (records: z.infer<typeof spec.record>[]) => {
        for (const r of records) {
          const t = modifiedAt(spec, r);
          const created = Date.parse(String(r.properties[spec.created] ?? '')) === t;
          changes.push({
            dedupeKey: `${spec.singular}:${r.id}:${t}`,
            type: `${spec.singular}.${created ? 'created' : 'updated'}`,
            payload: r,
          });
          pos = { t, id: r.id };
        }
      };

      while (changes.length < maxChanges) {
        const page = await search(ctx, {
          filterGroups: [
            { filters: [{ propertyName: spec.modified, operator: 'GT', value: String(pos.t) }, ...until] },
            {
              filters: [
                { propertyName: spec.modified, operator: 'EQ', value: String(pos.t) },
                { propertyName: 'hs_object_id', operator: 'GT', value: pos.id },
                ...until,
              ],
            },
          ],
          sorts: [{ propertyName: spec.modified, direction: 'ASCENDING' }],
          properties,
          limit: pageSize,
        });
        const sorted = [...page.results].sort(
          (a, b) => modifiedAt(spec, a) - modifiedAt(spec, b) || byId(a.id, b.id),
        );
        const last = sorted.at(-1);
        if (last === undefined) break;
        if (page.paging?.next === undefined) {
          emit(sorted);
          break;
        }
        // A full page: everything older than its last timestamp is complete; the run at that
        // timestamp may continue on the next page, so read all of it in id order.
        const t = modifiedAt(spec, last);
        emit(sorted.filter((r) => modifiedAt(spec, r) < t));
        const afterId = pos.t === t ? pos.id : '0';
        emit(await readRun(ctx, t, afterId));
      }
      return { changes, cursor: `${pos.t}:${pos.id}` };
    },
  });

  /** Every record modified exactly at `t` with an id above `afterId`, in id order. */
  async function readRun(ctx: ConnectorContext, t: number, afterId: string) {
    const out: z.infer<typeof spec.record>[] = [];
    let after: string | undefined;
    do {
      const page = await search(ctx, {
        filterGroups: [
          {
            filters: [
              { propertyName: spec.modified, operator: 'EQ', value: String(t) },
              { propertyName: 'hs_object_id', operator: 'GT', value: afterId },
            ],
          },
        ],
        sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
        properties,
        limit: hubspotSearchLimits.pageSize,
        ...(after === undefined ? {} : { after }),
      });
      out.push(...page.results);
      after = page.paging?.next?.after;
    } while (after !== undefined && Number(after) < hubspotSearchLimits.maxResults);
    return out.sort((a, b) => byId(a.id, b.id));
  }
}

function modifiedAt(spec: ChangeSpec, r: { properties: Record<string, unknown>; updatedAt: string }): number {
  const t = Date.parse(String(r.properties[spec.modified] ?? ''));
  return Number.isNaN(t) ? Date.parse(r.updatedAt) : t;
}

/** HubSpot ids are numeric strings: compare as numbers. */
function byId(a: string, b: string): number {
  return Number(a) - Number(b);
}

function startPosition(ctx: ConnectorContext): Position {
  const from = ctx.connection.settings.pollStartAt;
  const t = from === undefined ? ctx.now() - 3_600_000 : Date.parse(from);
  if (Number.isNaN(t)) {
    throw new WeftError({ code: 'invalid_input', message: `pollStartAt "${from}" is not a date` });
  }
  // Id 0: every record modified at exactly the start instant is included.
  return { t, id: '0' };
}

function parseCursor(cursor: string): Position {
  const match = /^(\d+):(\d+)$/.exec(cursor);
  if (match === null) {
    throw new WeftError({
      code: 'invalid_input',
      message: `not a HubSpot change cursor: ${cursor.slice(0, 40)}`,
    });
  }
  return { t: Number(match[1]), id: match[2] as string };
}

export const contactsChanged = hubspotChangesTrigger('contacts');
export const companiesChanged = hubspotChangesTrigger('companies');
export const dealsChanged = hubspotChangesTrigger('deals');
export const tasksChanged = hubspotChangesTrigger('tasks');
