import { describeConnectorContract } from '../../src/connector/contract-kit.js';
import { stripeHarness } from './support/stripe-harness.js';

describeConnectorContract('stripe', stripeHarness);
