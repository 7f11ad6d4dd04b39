import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BranchStep, MapStep, RespondStep, Step } from '../contract/flow.js';
import { compileFlow } from './compile.js';
import type { CompiledFlow, Scope } from './compiled.js';
import { parseFlowSource } from './parse.js';
import { checkFlowSource } from './validate.js';

const FILE = 'flows/sample-lead-router.yaml';
const source = readFileSync(new URL(`../../${FILE}`, import.meta.url), 'utf8');

/** Walks the sample's steps the way the engine would, enough to check the demo's answer. */
async function run(
  flow: CompiledFlow,
  body: unknown,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  const scope: Scope = {
    event: { id: 'evt', source: 'webhook', receivedAt: '2024-03-01T12:00:00Z', body, headers: {}, query: {} },
    steps: {},
    run: { id: 'run', flow: flow.version.flowName, version: 1 },
  };
  const map = async (step: MapStep): Promise<unknown> => {
    if (step.expression !== undefined) return flow.expression(step.expression).evaluate(scope);
    const out: Record<string, unknown> = {};
    for (const [key, expr] of Object.entries(step.set ?? {}))
      out[key] = await flow.expression(expr).evaluate(scope);
    return out;
  };
  const exec = async (
    steps: Step[],
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown } | undefined> => {
    for (const step of steps) {
      if (step.kind === 'map') scope.steps[step.id] = await map(step);
      if (step.kind === 'branch') {
        const b = step as BranchStep;
        let taken = b.default ?? [];
        for (const c of b.cases) {
          if ((await flow.expression(c.when).evaluate(scope)) === true) {
            taken = c.steps;
            break;
          }
        }
        const reply = await exec(taken);
        if (reply) return reply;
      }
      if (step.kind === 'respond') {
        const r = step as RespondStep;
        const headers: Record<string, string> = {};
        for (const [k, t] of Object.entries(r.headers)) headers[k] = await flow.template(t).render(scope);
        return {
          status: r.status,
          headers,
          body: r.body ? await flow.expression(r.body).evaluate(scope) : undefined,
        };
      }
    }
    return undefined;
  };
  const reply = await exec(flow.definition.steps);
  if (!reply) throw new Error('the sample flow did not respond');
  return reply;
}

describe('flows/sample-lead-router.yaml', () => {
  it('parses and validates', () => {
    const flow = parseFlowSource(source, FILE);
    expect(flow.name).toBe('sample-lead-router');
    expect(flow.trigger).toMatchObject({ kind: 'webhook', path: 'leads' });
    expect(() => checkFlowSource(source, FILE)).not.toThrow();
  });

  const compiled = () =>
    compileFlow({
      id: 'fv_demo',
      flowName: 'sample-lead-router',
      version: 1,
      sourceHash: 'x',
      source,
      definition: checkFlowSource(source, FILE),
      createdAt: 0,
      createdBy: 'test',
    });

  it('routes a large, senior, US lead to enterprise sales', async () => {
    const reply = await run(compiled(), {
      email: ' Ana.Silva@Globex.com ',
      firstName: 'Ana',
      lastName: 'Silva',
      title: 'VP Sales',
      employees: '1,200',
      country: 'us',
    });
    expect(reply.status).toBe(200);
    expect(reply.headers).toEqual({ 'x-weft-route': 'enterprise-sales' });
    expect(reply.body).toEqual({
      lead: 'ana.silva@globex.com',
      score: 100,
      route: { team: 'enterprise-sales', sla: '1h' },
    });
  });

  it('routes a sparse lead to nurture without failing on missing fields', async () => {
    const reply = await run(compiled(), { email: 'bo@tiny.io' });
    expect(reply.body).toEqual({ lead: 'bo@tiny.io', score: 10, route: { team: 'nurture', sla: 'none' } });
  });

  it('routes a mid-sized lead to mid-market', async () => {
    const reply = await run(compiled(), {
      email: 'cy@acme.de',
      employees: 250,
      country: 'DE',
      title: 'Engineer',
    });
    expect(reply.headers['x-weft-route']).toBe('mid-market');
  });
});
