import { z } from 'zod';
import { confidential, financial } from '../../connector/classification.js';
import { objectActions, setting } from './object-actions.js';
import { HubSpotCompany, PropertyValue } from './schemas.js';

export const CompanyWrite = z
  .object({
    annualrevenue: financial(PropertyValue).optional(),
    description: confidential(PropertyValue).optional(),
  })
  .catchall(PropertyValue);

/**
 * Companies. `domain` is not unique in HubSpot (two companies may share one), so upserts match on
 * a custom unique-value property: the Connection's `externalIdProperty` (default weft_external_id).
 */
export const companyActions = objectActions({
  type: 'companies',
  noun: 'company',
  object: HubSpotCompany,
  writable: CompanyWrite,
  defaultIdProperty: (ctx) => setting(ctx, 'externalIdProperty'),
});
