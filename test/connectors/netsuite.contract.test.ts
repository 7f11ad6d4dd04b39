import { describeConnectorContract } from '../support/connector-contract.js';
import { netsuiteHarness } from './support/netsuite-harness.js';

describeConnectorContract('netsuite', netsuiteHarness);
