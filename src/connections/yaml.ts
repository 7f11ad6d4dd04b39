import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { SecretSource } from '../config.js';
import type { CatalogEntry } from '../connectors/catalog-entry.js';
import { WeftError } from '../contract/errors.js';
import { SecretName } from '../contract/flow.js';
import { type FlowProblem, formatProblem, SourceLocator, sortProblems } from '../flow/parse.js';
import { ConnectionSpec, catalogProblems } from './spec.js';

/** One thing wrong (or, as a warning, unwise) in a Connection file; `line`/`column` are 1-based. */
export type ConnectionProblem = FlowProblem;

/**
 * A Connection file that cannot be used: `details.problems` lists every problem, and the message
 * has one `file:line:column: path: message` line each, like a flow file's.
 */
export class ConnectionSourceError extends WeftError {
  readonly problems: ConnectionProblem[];

  constructor(problems: ConnectionProblem[]) {
    super({ code: 'invalid_input', message: problems.map(formatProblem).join('\n'), details: { problems } });
    this.name = 'ConnectionSourceError';
    this.problems = problems;
  }
}

/** `{ secret: NAME }`: the value of `WEFT_SECRET_<NAME>` in the environment that reads the file. */
const SecretRef = z.object({ secret: SecretName }).strict();
const SecretValue = z.union([z.string().min(1), SecretRef]);

/** The file's shape before secret references are resolved. */
const ConnectionFile = z
  .object({
    auth: z.object({ kind: z.string() }).catchall(z.union([z.string(), z.number(), z.boolean(), SecretRef])),
    webhookSecrets: z.array(SecretValue).optional(),
  })
  .passthrough();

/** Auth fields whose plain values in a file draw a warning: they are credentials. */
const credentialFields = new Set([
  'key',
  'token',
  'password',
  'clientSecret',
  'refreshToken',
  'accessToken',
  'consumerSecret',
  'tokenSecret',
  // A `webhook-url` credential: the URL itself lets anyone post.
  'url',
]);

export interface ConnectionFileReading {
  spec: ConnectionSpec;
  /** Plain secret values in the file: allowed, but they belong in `{ secret: NAME }`. */
  warnings: ConnectionProblem[];
}

/**
 * Reads a Connection file: YAML with every problem pinned to its line, `{ secret: NAME }`
 * resolved from `secrets` (`WEFT_SECRET_<NAME>`), the result checked against the schema and the
 * connector catalog. Throws {@link ConnectionSourceError} listing every problem. Messages name
 * fields and secret names, never secret values.
 *
 * @example
 * const { spec, warnings } = parseConnectionSource({ source, file: 'connections/stripe.yaml', secrets: envSecrets(process.env), catalog: connectorCatalog });
 */
export function parseConnectionSource(opts: {
  source: string;
  file: string;
  secrets: SecretSource;
  catalog: Readonly<Record<string, CatalogEntry>>;
}): ConnectionFileReading {
  const { source, file } = opts;
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const locator = new SourceLocator(file, source, doc, lines);
  if (doc.errors.length > 0) {
    throw new ConnectionSourceError(
      doc.errors.map((err) => {
        const { line, col } = lines.linePos(err.pos[0]);
        return {
          file,
          line,
          column: col,
          path: '',
          message: err.message.replace(/ at line \d+[\s\S]*$/, ''),
        };
      }),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConnectionSourceError([{ file, line: 1, column: 1, path: '', message }]);
  }

  const shape = ConnectionFile.safeParse(value);
  if (!shape.success) throw new ConnectionSourceError(zodProblems(shape.error, locator));

  const problems: ConnectionProblem[] = [];
  const warnings: ConnectionProblem[] = [];
  const resolve = (v: unknown, path: (string | number)[], credential: boolean): unknown => {
    const ref = SecretRef.safeParse(v);
    if (ref.success) {
      const secret = opts.secrets.get(ref.data.secret);
      if (secret === undefined || secret === '') {
        problems.push(
          locator.problem(path, `secret ${ref.data.secret} is not set (WEFT_SECRET_${ref.data.secret})`),
        );
      }
      return secret;
    }
    if (credential && typeof v === 'string') {
      warnings.push(
        locator.problem(path, 'a plain secret in a file; prefer { secret: NAME } (WEFT_SECRET_<NAME>)'),
      );
    }
    return v;
  };
  const { auth, webhookSecrets, ...rest } = shape.data;
  const resolved = {
    ...rest,
    auth: Object.fromEntries(
      Object.entries(auth).map(([k, v]) => [
        k,
        k === 'kind' ? v : resolve(v, ['auth', k], credentialFields.has(k)),
      ]),
    ),
    ...(webhookSecrets === undefined
      ? {}
      : { webhookSecrets: webhookSecrets.map((v, i) => resolve(v, ['webhookSecrets', i], true)) }),
  };
  if (problems.length > 0) throw new ConnectionSourceError(sortProblems(problems));

  const parsed = ConnectionSpec.safeParse(resolved);
  if (!parsed.success) throw new ConnectionSourceError(zodProblems(parsed.error, locator));
  const catalog = catalogProblems(parsed.data, opts.catalog);
  if (catalog.length > 0) {
    throw new ConnectionSourceError(catalog.map((p) => locator.problem(p.path, p.message)));
  }
  return { spec: parsed.data, warnings: sortProblems(warnings) };
}

function zodProblems(error: z.ZodError, locator: SourceLocator): ConnectionProblem[] {
  const problems: ConnectionProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        problems.push(locator.problem([...issue.path, key], `unknown key "${key}"`));
      continue;
    }
    // Never echo a value: zod's messages name types and formats, and this keeps it so.
    const message = /received undefined$/.test(issue.message) ? 'is required' : issue.message;
    problems.push(locator.problem(issue.path, message));
  }
  return sortProblems(problems);
}
