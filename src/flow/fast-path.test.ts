import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import type { AstNode } from './ast.js';
import { compileFastPath, SLOW } from './fast-path.js';

const inputs: unknown[] = [
  {
    steps: {
      lead: { email: 'a@b.c', employees: 1200, title: 'VP', tags: ['x'], none: null, ok: true, count: '1e3' },
    },
  },
  {
    steps: {
      lead: { email: 'A@B.C', employees: 99, title: '', tags: [], none: null, ok: false, count: '0x1F' },
    },
  },
  { steps: { lead: { employees: '1200', count: '12abc', padded: ' \t a \n\n b\r ' } } },
  { steps: { lead: { employees: '-1.5E2', count: 'Infinity', padded: '   ', email: 'ÄÖÜ@ß.de' } } },
  { steps: { lead: [{ email: 'in-array' }] } },
  { steps: { lead: 'not an object' } },
  { steps: null },
  { steps: { lead: { employees: { n: 1 } } } },
  {},
];

const expressions = [
  '"enterprise-sales"',
  '42',
  '-5',
  'true',
  'null',
  'steps',
  'steps.lead',
  'steps.lead.email',
  'steps.lead.tags',
  'steps.lead.none',
  'steps.lead.missing',
  'steps.lead.toString',
  'steps.lead.employees >= 1000',
  'steps.lead.employees < 100',
  'steps.lead.employees > steps.lead.employees',
  'steps.lead.email <= "b"',
  'steps.lead.ok > false',
  'steps.lead.email = "a@b.c"',
  'steps.lead.email != "a@b.c"',
  'steps.lead.none = null',
  'steps.lead.ok = true',
  'steps.lead.tags = "x"',
  'steps.lead.employees = "1200"',
  'steps.lead.missing != 1',
  '$lowercase($trim(steps.lead.email))',
  '$uppercase(steps.lead.title)',
  '$trim(steps.lead.padded)',
  '$string(steps.lead.email)',
  '$string(steps.lead.employees)',
  '$substringAfter($lowercase(steps.lead.email), "@")',
  '$substringBefore(steps.lead.email, "@")',
  '$substringAfter(steps.lead.email, "nope")',
  '$number(steps.lead.employees)',
  '$number(steps.lead.count)',
  '$number(steps.lead.ok)',
  '$lowercase(steps.lead.employees)',
  '$lowercase(steps.lead.missing)',
  '$number(steps.lead.employees) >= 1000',
];

type Outcome = { value: unknown } | { error: string };

async function viaJsonata(source: string, input: unknown): Promise<Outcome> {
  try {
    return { value: await jsonata(source).evaluate(input) };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

describe('fast paths', () => {
  it('agree with JSONata wherever they decide', async () => {
    let decided = 0;
    for (const source of expressions) {
      const fast = compileFastPath(jsonata(source).ast() as unknown as AstNode);
      expect(fast, source).toBeDefined();
      for (const input of inputs) {
        const value = fast?.(input);
        if (value === SLOW) continue;
        decided++;
        const expected = await viaJsonata(source, input);
        // Where JSONata fails (type mismatch) the fast path must not decide.
        expect({ source, input, outcome: { value } }).toEqual({ source, input, outcome: expected });
      }
    }
    expect(decided).toBeGreaterThan(expressions.length * 4);
  });

  it('leave everything else to JSONata', () => {
    for (const source of [
      'steps.lead[0]',
      'steps.lead.tags[]',
      '$x',
      '$lowercase()',
      '$lowercase(steps.lead.email, 1)',
      '$length(steps.lead.email)',
      '$toString(steps.lead.email)',
      '($lowercase := $uppercase; $lowercase(steps.lead.email))',
      'steps.lead.a + 1',
      'steps.lead.a and true',
      'steps.(lead)',
      'steps.lead.email & "x"',
    ]) {
      expect(compileFastPath(jsonata(source).ast() as unknown as AstNode), source).toBeUndefined();
    }
  });

  it('defer to JSONata on arrays and on comparisons JSONata rejects', () => {
    const path = compileFastPath(jsonata('steps.lead.email').ast() as unknown as AstNode);
    expect(path?.({ steps: { lead: [{ email: 'x' }] } })).toBe(SLOW);
    const compare = compileFastPath(jsonata('steps.n >= 1').ast() as unknown as AstNode);
    expect(compare?.({ steps: { n: '2' } })).toBe(SLOW);
    expect(compare?.({ steps: { n: 2 } })).toBe(true);
    expect(compare?.({ steps: {} })).toBeUndefined();
  });
});
