/**
 * Template text: parsing `{name}` references and filling them in.
 *
 * A template is plain text in which `{name}` refers to a placeholder (a value drawn from a list) or a
 * phrase (a fixed wording that variants override). `{{` and `}}` write literal braces. Phrases are
 * expanded first (their own text may refer to placeholders, not to other phrases), then placeholders
 * are filled with values; values are inserted verbatim, never parsed.
 *
 * This module knows nothing about packs or JSON paths: it reports problems by character offset and
 * leaves locating them in the pack to validate.ts.
 */
import { badInput } from '../../contract/errors.ts';

/** A parsed template: literal text and references, in order. */
export type Token = { kind: 'text'; text: string } | { kind: 'ref'; name: string; offset: number };

/** A syntax problem at a 0-based character offset into the template. */
export interface TemplateProblem {
  offset: number;
  message: string;
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Splits a template into tokens; problems (unbalanced braces, bad names) are reported, never thrown. */
export function parseTemplate(source: string): { tokens: Token[]; problems: TemplateProblem[] } {
  const tokens: Token[] = [];
  const problems: TemplateProblem[] = [];
  let literal = '';
  const flush = () => {
    if (literal) tokens.push({ kind: 'text', text: literal });
    literal = '';
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '{' && source[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (c === '}' && source[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (c === '{') {
      const close = source.indexOf('}', i + 1);
      const nextOpen = source.indexOf('{', i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
        problems.push({ offset: i, message: `unclosed "{" at character ${i + 1} (write "{{" for a literal brace)` });
        literal += c;
        i += 1;
        continue;
      }
      const name = source.slice(i + 1, close);
      if (!NAME.test(name)) {
        problems.push({
          offset: i,
          message: `"{${name}}" at character ${i + 1} is not a valid reference: a name starts with a letter and contains only letters, digits, "_" and "-"`,
        });
        literal += source.slice(i, close + 1);
      } else {
        flush();
        tokens.push({ kind: 'ref', name, offset: i });
      }
      i = close + 1;
    } else if (c === '}') {
      problems.push({ offset: i, message: `unmatched "}" at character ${i + 1} (write "}}" for a literal brace)` });
      literal += c;
      i += 1;
    } else {
      literal += c;
      i += 1;
    }
  }
  flush();
  return { tokens, problems };
}

/** The names a template refers to, in order of first appearance (duplicates removed). */
export function referencesOf(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  for (const t of tokens) if (t.kind === 'ref' && !names.includes(t.name)) names.push(t.name);
  return names;
}

/**
 * Replaces phrase references by the phrase's own tokens (one level: a phrase's references are left
 * as they are, so they must be placeholders). Offsets of spliced tokens are those inside the phrase.
 */
export function expandPhrases(tokens: readonly Token[], phrases: Readonly<Record<string, string>>): Token[] {
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'ref' && Object.hasOwn(phrases, t.name)) out.push(...parseTemplate(phrases[t.name] ?? '').tokens);
    else out.push(t);
  }
  return out;
}

/** Parses and expands in one step: the tokens of `source` with phrases spliced in. */
export function expandTemplate(source: string, phrases: Readonly<Record<string, string>>): Token[] {
  return expandPhrases(parseTemplate(source).tokens, phrases);
}

/** The index of the first reference to `name`, or -1. Used to tell which decision option is named first. */
export function firstReference(tokens: readonly Token[], name: string): number {
  return tokens.findIndex((t) => t.kind === 'ref' && t.name === name);
}

/**
 * Fills placeholder references with values. Throws bad_input naming `where` for a reference that has
 * no value (an unknown name, or a phrase that was not expanded).
 */
export function fillTemplate(tokens: readonly Token[], values: Readonly<Record<string, string>>, where: string): string {
  let out = '';
  for (const t of tokens) {
    if (t.kind === 'text') out += t.text;
    else if (Object.hasOwn(values, t.name)) out += values[t.name];
    else throw badInput(`${where}: "{${t.name}}" is neither a placeholder nor a phrase of this pack`, { path: where });
  }
  return out;
}
