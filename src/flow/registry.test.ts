import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import { FlowSourceError } from './parse.js';
import { FlowRegistry } from './registry.js';
import { ManualClock, MemoryFlowStore } from './testing.js';

const flowSource = (name: string, path: string, text = '"hi"') =>
  `name: ${name}\ntrigger:\n  kind: webhook\n  path: ${path}\nsteps:\n  - id: a\n    kind: map\n    expression: '${text}'\n`;

function setup() {
  const store = new MemoryFlowStore();
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new FlowRegistry({ store, clock, logger: silentLogger });
  return { store, clock, registry };
}

describe('FlowRegistry', () => {
  it('deploys a flow and serves it by name, webhook path and id', async () => {
    const { store, registry } = setup();
    await registry.load();
    const source = flowSource('leads', 'leads');
    const { version, created } = await registry.deploy({
      source,
      file: 'leads.yaml',
      actor: 'user:ana',
      now: 5,
    });

    expect(created).toBe(true);
    expect(version).toMatchObject({ flowName: 'leads', version: 1, createdBy: 'user:ana', createdAt: 5 });
    expect(version.id).toMatch(/^fv_/);
    expect(version.sourceHash).toBe(createHash('sha256').update(source).digest('hex'));
    expect(store.audit).toEqual([
      {
        actor: 'user:ana',
        action: 'flow.deploy',
        target: 'leads',
        at: 5,
        data: { file: 'leads.yaml', sourceHash: version.sourceHash },
      },
    ]);
    expect(registry.current('leads')?.version.id).toBe(version.id);
    expect(registry.byWebhookPath('leads')?.version.id).toBe(version.id);
    expect(registry.list().map((f) => f.version.flowName)).toEqual(['leads']);
    expect(await registry.version(version.id)).toBe(registry.current('leads'));
  });

  it('publishes nothing new for unchanged source', async () => {
    const { registry } = setup();
    const source = flowSource('leads', 'leads');
    await registry.deploy({ source, file: 'a.yaml', actor: 'a' });
    const again = await registry.deploy({ source, file: 'a.yaml', actor: 'a' });
    expect(again.created).toBe(false);
    expect(again.version.version).toBe(1);
  });

  it('keeps older versions loadable for runs that still use them', async () => {
    const { registry } = setup();
    const v1 = await registry.deploy({
      source: flowSource('leads', 'leads', '1'),
      file: 'a.yaml',
      actor: 'a',
    });
    const v2 = await registry.deploy({
      source: flowSource('leads', 'leads', '2'),
      file: 'a.yaml',
      actor: 'a',
    });
    expect(registry.current('leads')?.version.id).toBe(v2.version.id);
    const old = await registry.version(v1.version.id);
    expect(old.version.version).toBe(1);
    expect(old.definition.steps[0]).toMatchObject({ expression: '1' });
    expect(await registry.version(v1.version.id)).toBe(old);
  });

  it('loads a version once even when asked concurrently', async () => {
    const { store, registry } = setup();
    const v1 = await registry.deploy({
      source: flowSource('leads', 'leads', '1'),
      file: 'a.yaml',
      actor: 'a',
    });
    await registry.deploy({ source: flowSource('leads', 'leads', '2'), file: 'a.yaml', actor: 'a' });
    const fresh = new FlowRegistry({ store, clock: new ManualClock(0), logger: silentLogger });
    const spy = vi.spyOn(store, 'getFlowVersion');
    const [a, b] = await Promise.all([fresh.version(v1.version.id), fresh.version(v1.version.id)]);
    expect(a).toBe(b);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('reports an unknown version as not_found', async () => {
    const { registry } = setup();
    await expect(registry.version('fv_missing')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('rejects a webhook path another flow already uses', async () => {
    const { registry } = setup();
    await registry.deploy({ source: flowSource('leads', 'leads'), file: 'a.yaml', actor: 'a' });
    await expect(
      registry.deploy({ source: flowSource('other', 'leads'), file: 'b.yaml', actor: 'a' }),
    ).rejects.toMatchObject({ code: 'conflict', details: { path: 'leads', flow: 'leads' } });
    // The same flow may keep its own path.
    await expect(
      registry.deploy({ source: flowSource('leads', 'leads', 'changed'), file: 'a.yaml', actor: 'a' }),
    ).resolves.toMatchObject({ created: true });
  });

  it('rejects an invalid source with FlowSourceError and publishes nothing', async () => {
    const { store, registry } = setup();
    const bad = flowSource('leads', 'leads', 'event.(');
    await expect(registry.deploy({ source: bad, file: 'a.yaml', actor: 'a' })).rejects.toBeInstanceOf(
      FlowSourceError,
    );
    expect(() => registry.validate(bad, 'a.yaml')).toThrow(FlowSourceError);
    expect(store.versions).toHaveLength(0);
  });

  it('validate returns the parsed flow', () => {
    const { registry } = setup();
    expect(registry.validate(flowSource('leads', 'leads'), 'a.yaml').flow.name).toBe('leads');
  });

  it('tells listeners when current versions change, and only then', async () => {
    const { registry } = setup();
    const listener = vi.fn();
    const unsubscribe = registry.onChange(listener);
    await registry.deploy({ source: flowSource('leads', 'leads'), file: 'a.yaml', actor: 'a' });
    expect(listener).toHaveBeenCalledTimes(1);
    await registry.refresh();
    await registry.deploy({ source: flowSource('leads', 'leads'), file: 'a.yaml', actor: 'a' });
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    await registry.deploy({ source: flowSource('leads', 'leads', 'x'), file: 'a.yaml', actor: 'a' });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('picks up versions published by another process on refresh', async () => {
    const { store, registry } = setup();
    await registry.load();
    const other = new FlowRegistry({ store, clock: new ManualClock(0), logger: silentLogger });
    await other.deploy({ source: flowSource('leads', 'leads'), file: 'a.yaml', actor: 'a' });
    expect(registry.current('leads')).toBeUndefined();
    await registry.refresh();
    expect(registry.current('leads')).toBeDefined();
  });

  it('leaves out a stored version that does not compile instead of failing', async () => {
    const { store, registry } = setup();
    await registry.deploy({ source: flowSource('good', 'good'), file: 'a.yaml', actor: 'a' });
    const good = store.versions[0];
    if (!good) throw new Error('no version');
    store.versions.push({
      ...good,
      id: 'fv_broken',
      flowName: 'broken',
      definition: {
        ...good.definition,
        name: 'broken',
        steps: [{ id: 'a', kind: 'map', expression: 'event.(' }],
      },
    });
    await registry.refresh();
    expect(registry.list().map((f) => f.version.flowName)).toEqual(['good']);
  });
});
