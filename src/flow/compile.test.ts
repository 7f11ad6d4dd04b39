import { describe, expect, it } from 'vitest';
import type { FlowVersionRecord } from '../store/records.js';
import { compileFlow } from './compile.js';
import type { Scope } from './compiled.js';
import { checkFlowSource } from './validate.js';

const source = `name: demo
trigger:
  kind: webhook
  path: demo
  dedupe:
    expression: event.headers."x-id"
steps:
  - id: lead
    kind: map
    set:
      email: $lowercase(event.body.email)
      again: $lowercase(event.body.email)
  - id: route
    kind: branch
    cases:
      - when: steps.lead.email = "a@b.c"
        steps:
          - id: call
            kind: action
            connector: http
            forEach: event.body.items
            itemKey: item.sku
            request:
              url: https://api.example.com/{{ item.sku }}
              headers:
                authorization: { secret: API_TOKEN, prefix: "Bearer " }
                x-run: "{{ run.id }}"
              query:
                q: "{{ index }}"
              body: '{ "sku": item.sku }'
    default:
      - id: pause
        kind: wait
        until: event.body.at
  - id: reply
    kind: respond
    headers:
      x-lead: "{{ steps.lead.email }}"
    body: steps.lead
`;

function version(): FlowVersionRecord {
  return {
    id: 'fv_1',
    flowName: 'demo',
    version: 1,
    sourceHash: 'h',
    source,
    definition: checkFlowSource(source, 'demo.yaml'),
    createdAt: 0,
    createdBy: 'test',
  };
}

const scope: Scope = {
  event: { id: 'e', source: 'webhook', receivedAt: '', body: { email: 'A@B.C' }, headers: {}, query: {} },
  steps: {},
  run: { id: 'run_9', flow: 'demo', version: 1 },
  item: { sku: 'x1' },
  index: 0,
};

describe('compileFlow', () => {
  it('precompiles every expression and template of the definition', () => {
    const flow = compileFlow(version());
    const expressions = [
      'event.headers."x-id"',
      '$lowercase(event.body.email)',
      'steps.lead.email = "a@b.c"',
      'event.body.items',
      'item.sku',
      '{ "sku": item.sku }',
      'event.body.at',
      'steps.lead',
    ];
    for (const e of expressions) expect(flow.expression(e).source).toBe(e);
    const templates = [
      'https://api.example.com/{{ item.sku }}',
      '{{ run.id }}',
      '{{ index }}',
      '{{ steps.lead.email }}',
    ];
    for (const t of templates) expect(flow.template(t).source).toBe(t);
  });

  it('returns the same compiled object for the same source', () => {
    const flow = compileFlow(version());
    expect(flow.expression('$lowercase(event.body.email)')).toBe(
      flow.expression('$lowercase(event.body.email)'),
    );
  });

  it('evaluates what it compiled', async () => {
    const flow = compileFlow(version());
    expect(await flow.expression('$lowercase(event.body.email)').evaluate(scope)).toBe('a@b.c');
    expect(await flow.template('https://api.example.com/{{ item.sku }}').render(scope)).toBe(
      'https://api.example.com/x1',
    );
  });

  it('throws an internal error for code that is not in the flow', () => {
    const flow = compileFlow(version());
    expect(() => flow.expression('1 + 1')).toThrow(expect.objectContaining({ code: 'internal' }));
    expect(() => flow.template('{{ 1 }}')).toThrow(expect.objectContaining({ code: 'internal' }));
    // An expression is not a template, even with the same text.
    expect(() => flow.template('steps.lead')).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});
