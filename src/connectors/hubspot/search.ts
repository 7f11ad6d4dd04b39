import { z } from 'zod';

/** HubSpot's documented search limits (since Aug 2024), checked before anything is sent. */
export const hubspotSearchLimits = {
  filterGroups: 5,
  filtersPerGroup: 10,
  filtersTotal: 25,
  pageSize: 200,
  /** A query's results stop here (`after` + `limit` beyond it is a 400): narrow, don't page on. */
  maxResults: 10_000,
} as const;

export const SearchFilter = z.object({
  propertyName: z.string().min(1),
  operator: z.enum([
    'EQ',
    'NEQ',
    'LT',
    'LTE',
    'GT',
    'GTE',
    'BETWEEN',
    'IN',
    'NOT_IN',
    'HAS_PROPERTY',
    'NOT_HAS_PROPERTY',
    'CONTAINS_TOKEN',
    'NOT_CONTAINS_TOKEN',
  ]),
  value: z.string().optional(),
  highValue: z.string().optional(),
  values: z.array(z.string()).optional(),
});
export type SearchFilter = z.infer<typeof SearchFilter>;

/** The body of `POST /crm/v3/objects/{type}/search`. */
export const SearchRequest = z
  .object({
    filterGroups: z
      .array(z.object({ filters: z.array(SearchFilter).max(hubspotSearchLimits.filtersPerGroup) }))
      .max(hubspotSearchLimits.filterGroups)
      .optional(),
    sorts: z
      .array(z.object({ propertyName: z.string(), direction: z.enum(['ASCENDING', 'DESCENDING']) }))
      .max(1)
      .optional(),
    query: z.string().max(3000).optional(),
    properties: z.array(z.string()).optional(),
    limit: z.number().int().min(1).max(hubspotSearchLimits.pageSize).optional(),
    after: z.string().optional(),
  })
  .refine(
    (r) =>
      (r.filterGroups ?? []).reduce((n, g) => n + g.filters.length, 0) <= hubspotSearchLimits.filtersTotal,
    { message: `at most ${hubspotSearchLimits.filtersTotal} filters in all`, path: ['filterGroups'] },
  );
export type SearchRequest = z.infer<typeof SearchRequest>;
