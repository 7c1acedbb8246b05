/** Small text helpers shared by the validation rules. */

/** Lower-cased, trimmed, inner whitespace collapsed: how values are compared for overlap. */
export function normalise(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function quoteList(names: readonly string[]): string {
  return names.length ? names.map((n) => `{${n}}`).join(', ') : 'none';
}
