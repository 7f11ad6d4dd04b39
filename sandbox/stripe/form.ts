/** A decoded form value: Stripe's bracket notation yields nested objects and arrays of strings. */
export type Params = { [key: string]: ParamValue };
export type ParamValue = string | ParamValue[] | Params;

/**
 * Decodes `application/x-www-form-urlencoded` bracket notation the way Stripe does:
 * `metadata[plan]=pro`, `items[0][price]=p`, `expand[]=customer`. Written independently of the
 * connector's encoder so a bug in one is caught by the other.
 */
export function decodeForm(body: string): Params {
  const root: Params = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const match = /^([^[\]]+)((?:\[[^\]]*\])*)$/.exec(rawKey);
    if (!match) continue;
    const path = [
      match[1] as string,
      ...[...(match[2] ?? '').matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string),
    ];
    assign(root, path, value);
  }
  return normaliseArrays(root) as Params;
}

function assign(root: Params, path: string[], value: string): void {
  let node: Params = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = path[i + 1] as string;
    const existing = node[key];
    if (typeof existing === 'object' && !Array.isArray(existing)) {
      node = existing;
      continue;
    }
    const child: Params = {};
    // `[]` appends: give it the next free numeric slot, then normaliseArrays turns it into an array.
    node[key] = child;
    node = child;
    if (next === '') path[i + 1] = String(Object.keys(child).length);
  }
  let last = path[path.length - 1] as string;
  if (last === '') last = String(Object.keys(node).length);
  node[last] = value;
}

/** Objects whose keys are exactly 0..n-1 become arrays. */
function normaliseArrays(value: ParamValue): ParamValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const out: Params = {};
  for (const k of keys) out[k] = normaliseArrays(value[k] as ParamValue);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => out[k] as ParamValue);
  return out;
}
