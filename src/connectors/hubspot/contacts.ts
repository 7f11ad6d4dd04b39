import { z } from 'zod';
import { pii } from '../../connector/classification.js';
import { objectActions } from './object-actions.js';
import { HubSpotContact, PropertyValue } from './schemas.js';

const Personal = pii(z.string()).nullable().optional();

/** Contact properties a write may set; any other (custom) property passes as a string. */
export const ContactWrite = z
  .object({
    email: Personal,
    firstname: Personal,
    lastname: Personal,
    phone: Personal,
    mobilephone: Personal,
    address: Personal,
    zip: Personal,
  })
  .catchall(PropertyValue);

/**
 * Contacts. Email is HubSpot's unique key for contacts (it refuses a second contact with the same
 * email, 409): `create` finds its first try by email, `upsert` matches on email by default.
 */
export const contactActions = objectActions({
  type: 'contacts',
  noun: 'contact',
  object: HubSpotContact,
  writable: ContactWrite,
  naturalKey: 'email',
  defaultIdProperty: () => 'email',
});
