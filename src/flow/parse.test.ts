import { describe, expect, it } from 'vitest';
import { type FlowProblem, FlowSourceError, formatPath, parseFlowSource, readFlowSource } from './parse.js';

const FILE = 'flows/test.yaml';

function problemsOf(source: string): FlowProblem[] {
  try {
    parseFlowSource(source, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowSourceError);
    return (err as FlowSourceError).problems;
  }
  throw new Error('expected the source to be rejected');
}

const valid = `name: hello
trigger:
  kind: webhook
  path: hello
steps:
  - id: greet
    kind: map
    set:
      text: '"hi " & event.body.name'
`;

describe('parseFlowSource', () => {
  it('accepts a valid flow and applies schema defaults', () => {
    const flow = parseFlowSource(valid, FILE);
    expect(flow.name).toBe('hello');
    expect(flow.limits.expressionTimeoutMs).toBe(1000);
    expect(flow.trigger).toMatchObject({ kind: 'webhook', path: 'hello', respondTimeoutMs: 10_000 });
  });

  it('reports a YAML syntax error at its line', () => {
    const source = 'name: hello\ntrigger:\n  kind: manual\nsteps:\n  - id: a\n    kind: map\n   set: 1\n';
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ file: FILE, line: 7, column: 1, path: '' });
    expect(p?.message).toMatch(/without - indicator/);
  });

  it('reports tabs used as indentation at their line', () => {
    const source = 'name: hello\ntrigger:\n\tkind: manual\nsteps: []\n';
    expect(problemsOf(source)[0]?.line).toBe(3);
  });

  it('reports a duplicate key at the second occurrence', () => {
    const source = valid.replace('  path: hello\n', '  path: hello\n  path: again\n');
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ line: 5, column: 3 });
    expect(p?.message).toMatch(/duplicate key/i);
  });

  it('reports an unknown key at its own line and column', () => {
    const source = valid.replace(
      '      text: \'"hi " & event.body.name\'\n',
      "      text: '1'\n    colour: blue\n",
    );
    expect(problemsOf(source)).toEqual([
      { file: FILE, line: 10, column: 5, path: 'steps[0].colour', message: 'unknown key "colour"' },
    ]);
  });

  it('reports unknown top-level and trigger keys, one problem per key', () => {
    const source = `name: hello\nowner: ana\ntrigger:\n  kind: webhook\n  path: hello\n  secret: x\nsteps:\n  - id: a\n    kind: map\n    expression: '1'\n`;
    const problems = problemsOf(source);
    expect(problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [2, 'owner', 'unknown key "owner"'],
      [6, 'trigger.secret', 'unknown key "secret"'],
    ]);
  });

  it('points a missing key at its nearest ancestor', () => {
    const source = `name: hello
trigger:
  kind: manual
steps:
  - id: call
    kind: action
    connector: http
    request:
      method: GET
`;
    const [p] = problemsOf(source);
    expect(p).toMatchObject({ line: 8, column: 5, path: 'steps[0].request.url', message: 'is required' });
  });

  it('reports wrong values inside nested branch steps with their path', () => {
    const source = `name: hello
trigger:
  kind: manual
steps:
  - id: route
    kind: branch
    cases:
      - when: 'true'
        steps:
          - id: pause
            kind: wait
            duration: 5 minutes
`;
    const [p] = problemsOf(source);
    expect(p?.path).toBe('steps[0].cases[0].steps[0].duration');
    expect(p?.line).toBe(12);
  });

  it('reports an unknown step kind at the kind', () => {
    const source = valid.replace('kind: map', 'kind: mapp');
    expect(problemsOf(source)[0]).toMatchObject({ line: 7, path: 'steps[0].kind' });
  });

  it('formats the message as file:line:column: path: message lines', () => {
    const source = `name: Bad_Name\ntrigger:\n  kind: manual\nsteps: []\n`;
    try {
      parseFlowSource(source, FILE);
      expect.unreachable();
    } catch (err) {
      const e = err as FlowSourceError;
      expect(e.code).toBe('invalid_input');
      expect(e.details.problems).toEqual(e.problems);
      const lines = e.message.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^flows\/test\.yaml:1:1: name: must be lower-case/);
      expect(lines[1]).toMatch(/^flows\/test\.yaml:4:1: steps: /);
    }
  });

  it('rejects an empty file', () => {
    expect(problemsOf('')[0]).toMatchObject({ line: 1, column: 1, path: '' });
  });

  it('rejects more than one document', () => {
    expect(problemsOf(`${valid}---\n${valid}`)[0]?.line).toBe(10);
  });

  it('readFlowSource returns problems without throwing', () => {
    const reading = readFlowSource('name: [', FILE);
    expect(reading.flow).toBeUndefined();
    expect(reading.problems.length).toBeGreaterThan(0);
  });
});

describe('SourceLocator', () => {
  it('refines a position inside plain, quoted and block scalars', () => {
    const source = `name: hello
trigger:
  kind: manual
steps:
  - id: a
    kind: map
    set:
      plain: event.body.x
      quoted: "event.body.y"
    expression: |
      (
        $a := 1;
        $a + 2
      )
`;
    const { locator } = readFlowSource(source, FILE);
    expect(locator.problem(['steps', 0, 'set', 'plain'], 'm', 5)).toMatchObject({ line: 8, column: 19 });
    expect(locator.problem(['steps', 0, 'set', 'quoted'], 'm', 5)).toMatchObject({ line: 9, column: 21 });
    // index 10 is the `1` on the second line of the block.
    expect(locator.problem(['steps', 0, 'expression'], 'm', 10)).toMatchObject({ line: 12, column: 15 });
  });
});

describe('formatPath', () => {
  it('renders indices, identifiers and other keys', () => {
    expect(formatPath(['steps', 2, 'request', 'headers', 'x-api-key'])).toBe(
      'steps[2].request.headers["x-api-key"]',
    );
    expect(formatPath([])).toBe('');
  });
});
