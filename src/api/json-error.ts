/**
 * Finds where a JSON text goes wrong. `JSON.parse` on Node 20 names a position for some errors
 * and only quotes the text for others ("Unexpected token '}', ... is not valid JSON"), so a
 * webhook sender would not always learn where its body broke. This scanner runs only after
 * `JSON.parse` has failed; it is iterative, so deeply nested input cannot overflow the stack.
 *
 * @module
 */

/** Where and why a JSON text is malformed. Positions are 0-based; line and column 1-based. */
export interface JsonSyntaxProblem {
  position: number;
  line: number;
  column: number;
  reason: string;
}

type Expect = 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'commaOrEnd' | 'eof';

const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const escapes = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Returns the first syntax problem of `text`, or null when it is valid JSON.
 *
 * @example locateJsonError('{"a":}') // { position: 5, line: 1, column: 6, reason: "unexpected character '}'" }
 */
export function locateJsonError(text: string): JsonSyntaxProblem | null {
  const stack: ('array' | 'object')[] = [];
  let i = 0;
  let expect: Expect = 'value';

  const fail = (reason: string): JsonSyntaxProblem => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < i && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return { position: i, line, column: i - lineStart + 1, reason };
  };
  const afterValue = (): Expect => (stack.length === 0 ? 'eof' : 'commaOrEnd');
  /** Scans a string starting at `"`; returns a reason on failure. */
  const scanString = (): string | null => {
    i++;
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return 'unterminated string';
      if (ch === '"') {
        i++;
        return null;
      }
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return 'invalid \\u escape';
          i += 6;
        } else if (next !== undefined && escapes.has(next)) {
          i += 2;
        } else {
          return 'invalid escape in string';
        }
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) return 'control character in string (escape it)';
      i++;
    }
  };

  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
    const ch = text[i];
    if (expect === 'eof') return ch === undefined ? null : fail('unexpected data after the JSON value');
    if (ch === undefined) return fail('unexpected end of input');

    if (expect === 'valueOrEnd' && ch === ']') {
      stack.pop();
      i++;
      expect = afterValue();
    } else if (expect === 'value' || expect === 'valueOrEnd') {
      if (ch === '{') {
        stack.push('object');
        i++;
        expect = 'keyOrEnd';
      } else if (ch === '[') {
        stack.push('array');
        i++;
        expect = 'valueOrEnd';
      } else if (ch === '"') {
        const reason = scanString();
        if (reason) return fail(reason);
        expect = afterValue();
      } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
        numberPattern.lastIndex = i;
        const m = numberPattern.exec(text);
        if (!m) return fail('invalid number');
        i += m[0].length;
        expect = afterValue();
      } else {
        const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
        if (!literal) return fail(`unexpected character '${ch}'`);
        i += literal.length;
        expect = afterValue();
      }
    } else if (expect === 'keyOrEnd' && ch === '}') {
      stack.pop();
      i++;
      expect = afterValue();
    } else if (expect === 'key' || expect === 'keyOrEnd') {
      if (ch !== '"') return fail('expected a property name in double quotes');
      const reason = scanString();
      if (reason) return fail(reason);
      expect = 'colon';
    } else if (expect === 'colon') {
      if (ch !== ':') return fail("expected ':' after the property name");
      i++;
      expect = 'value';
    } else {
      const inObject = stack[stack.length - 1] === 'object';
      if (ch === ',') {
        i++;
        expect = inObject ? 'key' : 'value';
      } else if ((inObject && ch === '}') || (!inObject && ch === ']')) {
        stack.pop();
        i++;
        expect = afterValue();
      } else {
        return fail(inObject ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }
}
