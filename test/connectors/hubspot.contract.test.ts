import { describeConnectorContract } from '../support/connector-contract.js';
import { hubspotHarness } from './support/hubspot-harness.js';

describeConnectorContract('hubspot', hubspotHarness);
