import type { CliIo } from './io.js';

/** Pretty JSON, for `--json` and for single records. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Epoch milliseconds as a compact UTC time (`2026-11-25 16:31:02`). */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * A compact, left-aligned table with a header row; long cells are cut at 60 characters.
 *
 * @example printTable(io, runs.map((r) => ({ id: r.id, status: r.status })), ['id', 'status']);
 */
export function printTable(io: CliIo, rows: Record<string, unknown>[], columns: string[]): void {
  if (rows.length === 0) {
    io.out('(none)\n');
    return;
  }
  const cells = rows.map((r) =>
    columns.map((c) => {
      const text = cell(r[c]).replace(/\s+/g, ' ');
      return text.length > 60 ? `${text.slice(0, 59)}…` : text;
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  io.out(`${[line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n')}\n`);
}
