import { describeConnectorContract } from '../support/connector-contract.js';
import { serviceNowHarness } from './support/servicenow-harness.js';

describeConnectorContract('servicenow', serviceNowHarness);
