import { startServiceNowSandbox } from '../../../sandbox/servicenow/index.js';
import { connect } from '../../../src/connector/connector.js';
import { collect } from '../../../src/connector/pagination.js';
import { weftSignatureHeader } from '../../../src/connector/signed-webhook.js';
import { serviceNowConnector } from '../../../src/connectors/servicenow/connector.js';
import { ServiceNowIncident, snValue } from '../../../src/connectors/servicenow/schemas.js';
import { snListAll } from '../../../src/connectors/servicenow/table-api.js';
import {
  incidentWebhookTrigger,
  serviceNowWebhookToleranceMs,
} from '../../../src/connectors/servicenow/webhook.js';
import type { ContractHarness } from '../../support/connector-contract.js';
import { kitAdmin, kitDropNextResponse, kitRateLimit } from './kit-admin.js';
import { signedAtFromT, startWebhookReceiver } from './webhook-receiver.js';

/** The ServiceNow connector wired to a fresh sandbox instance, for the shared contract suite. */
export async function serviceNowHarness(): Promise<ContractHarness> {
  const sandbox = await startServiceNowSandbox({ port: 0 });
  const admin = kitAdmin(sandbox.url);
  // Plays Weft's webhook endpoint: what the Business Rule (here, the sandbox) POSTs arrives here.
  const receiver = await startWebhookReceiver({
    path: '/hooks/servicenow',
    signedAt: signedAtFromT(weftSignatureHeader),
  });
  const secret = 'weft-servicenow-business-rule-secret';

  const auth = sandbox.connection.auth;
  const connectWith = (password: string) =>
    connect(
      serviceNowConnector,
      {
        id: 'servicenow-sandbox',
        connector: 'servicenow',
        baseUrl: sandbox.url,
        auth: auth.kind === 'basic' ? { ...auth, password } : auth,
      },
      { rateLimitBackoffMs: 200 },
    );
  const validPassword = auth.kind === 'basic' ? auth.password : '';

  return {
    connect: (credentials) => connectWith(credentials === 'valid' ? validPassword : 'not-the-right-one'),
    probe: (c) => c.run('incidents.list', { limit: 1 }),
    paging: {
      pageSize: 10,
      seed: (count) => admin.seed({ incidents: count }),
      listAll: async (c) =>
        (
          await collect(
            snListAll<Record<string, string>>(c.ctx, 'incident', { pageSize: 10, fields: ['sys_id'] }),
          )
        ).map((r) => ({ id: r.sys_id ?? '' })),
    },
    rateLimit: kitRateLimit(admin),
    write: {
      run: async (c, call) => {
        const incident = await c.run(
          'incidents.create',
          { short_description: 'Contract: retried create', urgency: '2' },
          call,
        );
        return { id: snValue(ServiceNowIncident.parse(incident).sys_id) ?? '' };
      },
      dropNextResponse: kitDropNextResponse(admin),
      count: () => admin.count('incident'),
    },
    webhook: {
      trigger: incidentWebhookTrigger,
      secret,
      toleranceMs: serviceNowWebhookToleranceMs,
      capture: async (c) => {
        await admin.webhookTarget({ url: receiver.url, secret, events: ['incident.created'] });
        return receiver.capture(() =>
          c.run('incidents.create', { short_description: 'Webhook capture', impact: '1', urgency: '1' }),
        );
      },
    },
    teardown: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}
