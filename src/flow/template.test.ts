import { describe, expect, it } from 'vitest';
import type { WeftError } from '../contract/errors.js';
import type { Scope } from './compiled.js';
import { compileTemplate, renderValue } from './template.js';

const scope: Scope = {
  event: {
    id: 'e',
    source: 'webhook',
    receivedAt: '',
    body: { id: 42, tags: ['a', 'b'] },
    headers: {},
    query: {},
  },
  steps: { lead: { email: 'ana@globex.com' } },
  run: { id: 'r', flow: 'demo', version: 3 },
};
const limits = { timeoutMs: 200 };

describe('compileTemplate', () => {
  it('renders literal text and {{ }} parts', async () => {
    const t = compileTemplate('https://api.example.com/leads/{{ event.body.id }}?v={{run.version}}', limits);
    expect(await t.render(scope)).toBe('https://api.example.com/leads/42?v=3');
  });

  it('renders strings as they are, other values as JSON and undefined as nothing', async () => {
    const t = compileTemplate(
      '[{{ steps.lead.email }}|{{ event.body.tags }}|{{ event.body.missing }}|{{ true }}]',
      limits,
    );
    expect(await t.render(scope)).toBe('[ana@globex.com|["a","b"]||true]');
  });

  it('accepts object constructors whose braces look like the end of a part', async () => {
    const t = compileTemplate('x={{ {"a": {"b": event.body.id}} }}', limits);
    expect(await t.render(scope)).toBe('x={"a":{"b":42}}');
  });

  it('renders a template without parts as its text', async () => {
    expect(await compileTemplate('plain', limits).render(scope)).toBe('plain');
    expect(await compileTemplate('', limits).render(scope)).toBe('');
  });

  it('reports a bad part with its position in the whole template', () => {
    try {
      compileTemplate('abc {{ event.( }}', limits);
      expect.unreachable();
    } catch (err) {
      const e = err as WeftError;
      expect(e.code).toBe('expression_error');
      expect(e.details.expression).toBe('abc {{ event.( }}');
      expect(e.details.position).toBeGreaterThan(7);
    }
  });

  it('reports an unclosed part and an empty part', () => {
    expect(() => compileTemplate('abc {{ event.body', limits)).toThrow(/never closed/);
    expect(() => compileTemplate('abc {{ }}', limits)).toThrow(/empty/);
  });

  it('times out like an expression', async () => {
    const t = compileTemplate('{{ ($f := function($x){ $f($x+1) }; $f(0)) }}', limits);
    await expect(t.render(scope)).rejects.toMatchObject({ code: 'expression_timeout' });
  });
});

describe('renderValue', () => {
  it('follows the rendering rules', () => {
    expect(renderValue('s')).toBe('s');
    expect(renderValue(42)).toBe('42');
    expect(renderValue(null)).toBe('null');
    expect(renderValue(undefined)).toBe('');
    expect(renderValue({ a: 1 })).toBe('{"a":1}');
  });
});
