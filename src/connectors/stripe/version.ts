/**
 * The Stripe API version every request pins with `Stripe-Version`. Without it the account's default
 * applies, and an account upgrade in the dashboard would silently change object shapes under our
 * schemas. Shapes of this version: `stripe.fixtures.latest.json` in the specs.
 */
export const stripeApiVersion = '2026-07-29.dahlia';

/** Production base URL; paths carry the `/v1` prefix. */
export const stripeBaseUrl = 'https://api.stripe.com';
