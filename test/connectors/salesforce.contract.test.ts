import { describeConnectorContract } from '../support/connector-contract.js';
import { salesforceHarness } from './support/salesforce-harness.js';

describeConnectorContract('salesforce', salesforceHarness);
