import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MapStep, Step } from '../contract/flow.js';
import { compileFlow } from './compile.js';
import type { Scope } from './compiled.js';
import { checkFlowSource } from './validate.js';

/**
 * The demo's mapping rules on the messy inputs the sandboxes hold; the flows end to end are in
 * test/e2e/demo.test.ts.
 */
const dir = new URL('../../flows/demo/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

function load(file: string) {
  const source = readFileSync(new URL(file, dir), 'utf8');
  const definition = checkFlowSource(source, `flows/demo/${file}`);
  const flow = compileFlow({
    id: 'fv_demo',
    flowName: definition.name,
    version: 1,
    sourceHash: 'x',
    source,
    definition,
    createdAt: 0,
    createdBy: 'test',
  });
  /** Evaluates one `map` step (given `expression`) in a scope with `event.body` and earlier steps. */
  const map = (id: string, body: unknown, steps: Record<string, unknown> = {}) => {
    const step = definition.steps.find((s: Step) => s.id === id) as MapStep | undefined;
    if (step?.expression === undefined) throw new Error(`no map expression step ${id}`);
    const scope: Scope = {
      event: {
        id: 'evt',
        source: 'webhook',
        receivedAt: '2026-11-01T00:00:00Z',
        body,
        headers: {},
        query: {},
      },
      steps,
      run: { id: 'run', flow: definition.name, version: 1 },
    };
    return flow.expression(step.expression).evaluate(scope);
  };
  return { definition, map };
}

describe('flows/demo', () => {
  it('holds the four demo flows, each valid', () => {
    expect(files.sort()).toEqual([
      'crm-accounts-to-erp.yaml',
      'hubspot-new-contact.yaml',
      'stripe-payment-failed.yaml',
      'zendesk-urgent-ticket.yaml',
    ]);
    for (const file of files) expect(load(file).definition.name).toBe(file.replace('.yaml', ''));
  });

  it('hubspot-new-contact: names in one case get title case, careful ones are kept, Salesforce gets its required fields', async () => {
    const { map } = load('hubspot-new-contact.yaml');
    const contact = (properties: Record<string, string | null>) => ({ contact: { id: '42', properties } });
    expect(
      await map(
        'lead',
        null,
        contact({
          email: ' Ana.Silva@Globex.COM ',
          firstname: 'ANA',
          lastname: 'de la  cruz',
          company: null,
        }),
      ),
    ).toEqual({
      externalId: 'hubspot-42',
      email: 'ana.silva@globex.com',
      firstName: 'Ana',
      lastName: 'De La Cruz',
      company: 'globex.com',
      title: '',
      phone: '',
    });
    expect(
      await map(
        'lead',
        null,
        contact({ email: 'r@x.io', firstname: 'Ronald', lastname: 'McDonald', company: ' Acme ' }),
      ),
    ).toMatchObject({ firstName: 'Ronald', lastName: 'McDonald', company: 'Acme' });
    // Nothing but an id: Salesforce still gets a LastName and a Company.
    expect(await map('lead', null, contact({}))).toMatchObject({
      lastName: '[not provided]',
      company: '[not provided]',
    });
  });

  it('crm-accounts-to-erp: the website is reduced to its host, names to single spaces, NetSuite limits kept', async () => {
    const { map } = load('crm-accounts-to-erp.yaml');
    const account = (record: Record<string, unknown>) => ({
      record: { Id: '001Wf0000000001AAA', ...record },
    });
    expect(
      await map(
        'customer',
        account({
          Name: '  Globex   Corp ',
          Website: 'https://www.Globex.example/about?x=1',
          Phone: '+1 555 0100',
          BillingCity: 'Springfield',
          BillingCountry: 'us',
        }),
      ),
    ).toEqual({
      externalId: 'sf-001Wf0000000001AAA',
      companyName: 'Globex Corp',
      url: 'https://globex.example',
      phone: '+1 555 0100',
      city: 'Springfield',
      country: 'US',
    });
    const sparse = (await map(
      'customer',
      account({ Name: 'x'.repeat(100), Website: null, Phone: '1'.repeat(40) }),
    )) as Record<string, unknown>;
    expect(sparse.companyName).toHaveLength(83);
    expect(sparse).not.toHaveProperty('url');
    expect(sparse).not.toHaveProperty('phone');
  });
});
