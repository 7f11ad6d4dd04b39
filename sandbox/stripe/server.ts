/**
 * The Stripe sandbox's original entry point, kept so existing imports work; the sandbox itself is
 * in index.ts, built on the shared kit (sandbox/common).
 */
export { type StripeSandbox, type StripeSandboxOptions, startStripeSandbox } from './index.js';
