import { describe, expect, it } from 'vitest';
import type { FlowProblem, FlowSourceError } from './parse.js';
import { checkFlowSource, isValidTimezone } from './validate.js';

const FILE = 'flows/v.yaml';

function problemsOf(source: string): FlowProblem[] {
  try {
    checkFlowSource(source, FILE);
  } catch (err) {
    return (err as FlowSourceError).problems;
  }
  throw new Error('expected the source to be rejected');
}

const webhook = 'name: demo\ntrigger:\n  kind: webhook\n  path: demo\n';

describe('checkFlowSource', () => {
  it('accepts a valid flow', () => {
    const flow = checkFlowSource(
      `${webhook}steps:\n  - id: a\n    kind: map\n    expression: event.body\n`,
      FILE,
    );
    expect(flow.steps).toHaveLength(1);
  });

  it('rejects a step id used twice, nested branch steps included', () => {
    const source = `${webhook}steps:
  - id: lead
    kind: map
    expression: event.body
  - id: route
    kind: branch
    cases:
      - when: 'true'
        steps:
          - id: lead
            kind: map
            expression: '1'
`;
    expect(problemsOf(source)).toEqual([
      {
        file: FILE,
        line: 14,
        column: 13,
        path: 'steps[1].cases[0].steps[0].id',
        message: 'duplicate step id "lead"',
      },
    ]);
  });

  it('reports a bad JSONata expression at its line and column', () => {
    const source = `${webhook}steps:\n  - id: a\n    kind: map\n    set:\n      ok: event.body.x\n      bad: event.body.(\n`;
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ line: 10, path: 'steps[0].set.bad' });
    expect(p?.column).toBeGreaterThan(12);
  });

  it('reports a bad expression inside a block scalar at the line of the error', () => {
    const source = `${webhook}steps:
  - id: a
    kind: map
    expression: |
      (
        $a := 1;
        $a +
      )
`;
    const [p] = problemsOf(source);
    expect(p?.path).toBe('steps[0].expression');
    expect(p?.line).toBeGreaterThanOrEqual(12);
    expect(p?.line).toBeLessThanOrEqual(13);
  });

  it('reports a bad template part at its line', () => {
    const source = `${webhook}steps:
  - id: call
    kind: action
    connector: http
    request:
      url: https://api.example.com/{{ event.body.( }}
`;
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ line: 10, path: 'steps[0].request.url' });
    expect(p?.column).toBeGreaterThan(12);
  });

  it('rejects an unsafe regex literal', () => {
    const source = `${webhook}steps:\n  - id: a\n    kind: map\n    expression: '$match(event.body.s, /(a+)+$/)'\n`;
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ line: 8, path: 'steps[0].expression' });
    expect(p?.message).toMatch(/backtrack/);
  });

  it('rejects a respond step outside a webhook flow', () => {
    const source = 'name: demo\ntrigger:\n  kind: manual\nsteps:\n  - id: r\n    kind: respond\n';
    expect(problemsOf(source)).toMatchObject([
      { line: 6, path: 'steps[0].kind', message: /webhook trigger/ },
    ]);
  });

  it('reports a reference to a step that does not exist', () => {
    const source = `${webhook}steps:
  - id: lead
    kind: map
    expression: event.body
  - id: next
    kind: map
    set:
      a: steps.lead.email
      b: steps.leed.email & $.steps.lead.x & $$.steps.nope
      c: event.body.items[steps.whatever = 1]
`;
    const problems = problemsOf(source);
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [13, 'no step with id "leed" (read as steps.leed)'],
      [13, 'no step with id "nope" (read as steps.nope)'],
    ]);
  });

  it('checks references inside templates and the dedupe expression', () => {
    const source = `name: demo
trigger:
  kind: webhook
  path: demo
  dedupe:
    expression: steps.ghost
steps:
  - id: r
    kind: respond
    headers:
      x-route: '{{ steps.phantom }}'
`;
    expect(problemsOf(source).map((p) => p.line)).toEqual([6, 11]);
  });

  it('validates the cron pattern and the timezone', () => {
    const schedule = (cron: string, tz: string) =>
      `name: demo\ntrigger:\n  kind: schedule\n  cron: "${cron}"\n  timezone: ${tz}\nsteps:\n  - id: a\n    kind: map\n    expression: '1'\n`;
    expect(() => checkFlowSource(schedule('0 9 * * 1-5', 'Europe/Berlin'), FILE)).not.toThrow();
    expect(() => checkFlowSource(schedule('* * * * * *', 'UTC'), FILE)).not.toThrow();
    expect(problemsOf(schedule('61 * * * *', 'UTC'))).toMatchObject([{ line: 4, path: 'trigger.cron' }]);
    expect(problemsOf(schedule('2030-01-01T00:00:00', 'UTC'))).toMatchObject([
      { line: 4, path: 'trigger.cron' },
    ]);
    expect(problemsOf(schedule('* * * * *', 'Mars/Olympus'))).toMatchObject([
      { line: 5, path: 'trigger.timezone', message: 'unknown timezone "Mars/Olympus"' },
    ]);
  });

  it('lists every problem, sorted by line', () => {
    const source = `name: demo\ntrigger:\n  kind: manual\nsteps:\n  - id: a\n    kind: map\n    expression: steps.b\n  - id: a\n    kind: respond\n`;
    expect(problemsOf(source).map((p) => p.line)).toEqual([7, 8, 9]);
  });
});

describe('isValidTimezone', () => {
  it('knows IANA names', () => {
    expect(isValidTimezone('America/New_York')).toBe(true);
    expect(isValidTimezone('Nowhere/Special')).toBe(false);
  });
});
