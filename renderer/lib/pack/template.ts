/**
 * Splits template text into literal text and `{name}` references, for highlighting in the designer.
 * Mirrors the pack format's rules (electron/contract/scenario-pack.ts): `{{` and `}}` are literal
 * braces, `{name}` refers to a placeholder or a phrase. The services' validator is the authority on
 * what is an error; this only decides how each piece is drawn.
 */

export type RefKind = 'placeholder' | 'party' | 'phrase' | 'unknown';

export type Segment = { type: 'text'; text: string } | { type: 'ref'; name: string; kind: RefKind; raw: string };

/** What a reference may resolve to: placeholder names (with the party one) and phrase names. */
export interface KnownNames {
  placeholders: ReadonlySet<string>;
  party: string | null;
  phrases: ReadonlySet<string>;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

export function segmentTemplate(template: string, known: KnownNames): Segment[] {
  const out: Segment[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ type: 'text', text });
    text = '';
  };
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    const next = template[i + 1];
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      text += ch;
      i += 2;
      continue;
    }
    if (ch === '{') {
      const end = template.indexOf('}', i + 1);
      const nextOpen = template.indexOf('{', i + 1);
      if (end < 0 || (nextOpen >= 0 && nextOpen < end)) {
        // An unclosed brace: literal text here; the validator reports it.
        text += ch;
        i += 1;
        continue;
      }
      flush();
      const name = template.slice(i + 1, end);
      out.push({ type: 'ref', name, kind: kindOf(name, known), raw: template.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    text += ch;
    i += 1;
  }
  flush();
  return out;
}

function kindOf(name: string, known: KnownNames): RefKind {
  if (!NAME.test(name)) return 'unknown';
  if (name === known.party) return 'party';
  if (known.placeholders.has(name)) return 'placeholder';
  if (known.phrases.has(name)) return 'phrase';
  return 'unknown';
}

/** Splits rendered text around occurrences of the given values (longest first), for tagging answers. */
export function markValues(text: string, marks: Record<string, string>): { text: string; mark?: string }[] {
  const entries = Object.entries(marks).filter(([, v]) => v.length > 0);
  if (!entries.length) return [{ text }];
  entries.sort((a, b) => b[1].length - a[1].length);
  const pattern = new RegExp(entries.map(([, v]) => escapeRegExp(v)).join('|'), 'g');
  const out: { text: string; mark?: string }[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index;
    if (at > last) out.push({ text: text.slice(last, at) });
    const mark = entries.find(([, v]) => v === match[0])?.[0];
    out.push(mark ? { text: match[0], mark } : { text: match[0] });
    last = at + match[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
