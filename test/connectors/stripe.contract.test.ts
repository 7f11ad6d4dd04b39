import { describeConnectorContract } from '../support/connector-contract.js';
import { stripeHarness } from './support/stripe-harness.js';

describeConnectorContract('stripe', stripeHarness);
