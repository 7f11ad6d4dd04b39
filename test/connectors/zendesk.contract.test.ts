import { describeConnectorContract } from '../support/connector-contract.js';
import { zendeskHarness } from './support/zendesk-harness.js';

describeConnectorContract('zendesk', zendeskHarness);
