/** A value that `application/x-www-form-urlencoded` bracket notation can carry. */
export type FormValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | FormValue[]
  | { [key: string]: FormValue };

/**
 * Encodes nested data in the bracket notation that Stripe (and Rails-style APIs) expect:
 * `metadata[plan]=pro`, `items[0][price]=price_1`. `undefined` is omitted; `null` becomes an empty
 * value, which is how Stripe unsets a field (`metadata[plan]=`). Brackets stay literal because
 * servers decode them either way and logs stay readable.
 *
 * @example
 * encodeForm({ email: 'a@b.c', metadata: { plan: 'pro' } }) // 'email=a%40b.c&metadata[plan]=pro'
 */
export function encodeForm(data: Record<string, FormValue>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(data)) collect(pairs, encodeKey(key), value);
  return pairs.join('&');
}

function collect(pairs: string[], prefix: string, value: FormValue): void {
  if (value === undefined) return;
  if (value === null) {
    pairs.push(`${prefix}=`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      collect(pairs, `${prefix}[${i}]`, item);
    });
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collect(pairs, `${prefix}[${encodeKey(k)}]`, v);
    return;
  }
  pairs.push(`${prefix}=${encodeURIComponent(String(value))}`);
}

function encodeKey(key: string): string {
  return encodeURIComponent(key);
}
