import fs from 'node:fs';
import path from 'node:path';
import type { SecretSource } from '../config.js';
import { WeftError } from '../contract/errors.js';
import { formatProblem } from '../flow/parse.js';
import type { Logger } from '../observability/logger.js';
import type { ConnectionRegistry } from './registry.js';
import { parseConnectionSource } from './yaml.js';

/** The Connection files of a directory: every `*.yaml` / `*.yml`, by name. */
export function connectionFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.join(dir, name));
}

/**
 * Applies every Connection file of `dir` at start (`WEFT_CONNECTIONS_DIR` / `--connections`),
 * like flow files: an unchanged Connection writes nothing, a changed one is replaced (audited as
 * `system:startup`). Every file is read before any is applied, so one bad file stops the start
 * with all its problems and changes nothing.
 */
export async function applyConnectionFiles(opts: {
  dir: string;
  registry: ConnectionRegistry;
  secrets: SecretSource;
  logger: Logger;
  now: number;
}): Promise<void> {
  const catalog = await opts.registry.catalog();
  const readings = connectionFiles(opts.dir).map((file) => {
    const reading = parseConnectionSource({
      source: fs.readFileSync(file, 'utf8'),
      file,
      secrets: opts.secrets,
      catalog,
    });
    for (const w of reading.warnings) opts.logger.warn({ file: w.file, line: w.line }, formatProblem(w));
    return { file, spec: reading.spec };
  });
  const seen = new Map<string, string>();
  for (const { file, spec } of readings) {
    const first = seen.get(spec.name);
    if (first !== undefined) {
      throw new WeftError({
        code: 'invalid_input',
        message: `connection '${spec.name}' is declared twice: in ${first} and in ${file}`,
      });
    }
    seen.set(spec.name, file);
  }
  for (const { file, spec } of readings) {
    const { created, changed } = await opts.registry.put({ spec, actor: 'system:startup', now: opts.now });
    const outcome = created ? 'created' : changed ? 'updated' : 'unchanged';
    opts.logger.info(
      { connection: spec.name, connector: spec.connector, file, outcome },
      `connection ${outcome}`,
    );
  }
}
