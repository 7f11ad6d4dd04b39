import { z } from 'zod';
import type { ConnectorContext } from '../../connector/context.js';
import { WeftError } from '../../contract/errors.js';

/** The REST API version Weft pins unless the Connection says otherwise (Spring '26). */
export const salesforceDefaultApiVersion = '66.0';

const FieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'not a Salesforce field API name');

/**
 * A Salesforce Connection's `settings` (all strings, as Connections store them):
 * - `apiVersion` (default 66.0): pinned in every path, so an org upgrade cannot change shapes;
 * - `externalIdField` (default `Weft_External_Id__c`): the External ID field upserts key on;
 * - `idempotencyKeyField` (default `Weft_Idempotency_Key__c`): where creates stamp Weft's key;
 * - `pollLimit` (default 2000): records per poll; `pollFrom`: where the first poll starts (ISO);
 * - `pollFields.<Object>`: comma-separated fields a poll selects instead of the standard set.
 */
export const SalesforceSettings = z.looseObject({
  apiVersion: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'apiVersion looks like 66.0')
    .default(salesforceDefaultApiVersion),
  externalIdField: FieldName.default('Weft_External_Id__c'),
  idempotencyKeyField: FieldName.default('Weft_Idempotency_Key__c'),
  pollLimit: z.coerce.number().int().min(1).max(2000).default(2000),
  pollFrom: z.iso.datetime({ offset: true }).optional(),
});
export type SalesforceSettings = z.infer<typeof SalesforceSettings>;

/** The Connection's settings, validated; a bad value is the user's to fix, so not retryable. */
export function salesforceSettings(ctx: ConnectorContext): SalesforceSettings {
  const parsed = SalesforceSettings.safeParse(ctx.connection.settings);
  if (!parsed.success) {
    throw new WeftError({
      code: 'invalid_input',
      message: `Salesforce connection ${ctx.connection.id}: invalid settings`,
      details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}

/** `/services/data/v66.0<rest>` for the Connection's pinned version. */
export function dataPath(ctx: ConnectorContext, rest: string): string {
  return `/services/data/v${salesforceSettings(ctx).apiVersion}${rest}`;
}
