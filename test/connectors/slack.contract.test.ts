import { describeConnectorContract } from '../support/connector-contract.js';
import { slackHarness } from './support/slack-harness.js';

describeConnectorContract('slack', slackHarness);
