/**
 * ServiceNow's `glide_date_time` as the Table API writes it with `sysparm_display_value=false`:
 * `YYYY-MM-DD HH:mm:ss` in UTC, whole seconds. Because the format sorts as text and has no
 * sub-second part, many records share one value: every cursor over it needs a tiebreak.
 */
const pattern = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/** Epoch ms → `YYYY-MM-DD HH:mm:ss` (UTC, the second the instant falls in). */
export function toGlideDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** `YYYY-MM-DD HH:mm:ss` (UTC) → epoch ms, or undefined when it is not that format. */
export function parseGlideDateTime(value: string): number | undefined {
  const m = pattern.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** True for a well-formed glide date-time. */
export function isGlideDateTime(value: string): boolean {
  return parseGlideDateTime(value) !== undefined;
}
