/**
 * Where the CLI writes and what it reads from its surroundings. Passed in (never taken from
 * globals inside commands) so tests run commands in-process and read what they printed.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Reads a file given on the command line (flow sources, event payloads). */
  readFile(path: string): Promise<string>;
}

/** A failure the CLI reports as one message and a non-zero exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Parses a JSON option value, naming the option when it is malformed. */
export function parseJsonOption(value: string, option: string): unknown {
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new CliError(`${option} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads a file named on the command line; a failure names the file instead of dumping a stack. */
export async function readInputFile(io: CliIo, path: string): Promise<string> {
  try {
    return await io.readFile(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`cannot read ${path}: ${reason}`);
  }
}
