import { z } from 'zod';
import { confidential } from '../../connector/classification.js';

/**
 * One row, column name → value as JSON. What a table holds is the user's to know, not the
 * connector's, so every row is classified `confidential` as a whole; a policy that needs finer
 * grain maps columns in the flow.
 *
 * Values: text, numbers, booleans, null; json/jsonb as JSON; bigint and numeric as strings (no
 * precision lost); timestamps, dates, times, intervals and bytea as PostgreSQL's own text.
 */
export const Row = confidential(z.record(z.string(), z.unknown()));
export type Row = z.infer<typeof Row>;
