import { z } from 'zod';
import { confidential, financial } from '../../connector/classification.js';
import { objectActions, setting } from './object-actions.js';
import { HubSpotDeal, PropertyValue } from './schemas.js';

export const DealWrite = z
  .object({
    amount: financial(PropertyValue).optional(),
    description: confidential(PropertyValue).optional(),
  })
  .catchall(PropertyValue);

/** Deals; upserts match on the Connection's `externalIdProperty`. */
export const dealActions = objectActions({
  type: 'deals',
  noun: 'deal',
  object: HubSpotDeal,
  writable: DealWrite,
  defaultIdProperty: (ctx) => setting(ctx, 'externalIdProperty'),
});
