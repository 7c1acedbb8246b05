/**
 * Pure helpers that build and reshape pack drafts (plain objects in the pack format), used by the
 * designer's state class. No validation here: `scenarios.validate` reports what is wrong.
 */
import { PACK_FORMAT, type ScenarioPackInput } from '../../../electron/contract/scenario-pack.ts';

/** A new, deliberately small pack: one list, two placeholders, one pair and a test template to fill in. */
export function blankPack(id: string): ScenarioPackInput {
  return {
    format: PACK_FORMAT,
    id,
    name: 'New scenario pack',
    description: '',
    kind: 'deception',
    lists: { options: { train: [], test: [] } },
    placeholders: {
      cheap: { list: 'options', description: 'the option that misleads' },
      precious: { list: 'options', description: 'the option that helps' },
    },
    phrases: {},
    pairs: { train: [{ id: 'train-1', self: '', other: '' }], probe: [] },
    test: { template: '', decision: { deceptive: 'cheap', honest: 'precious' } },
    variants: [],
  };
}

/** A copy of `pack` under an id not in `taken` ("main" -> "main-copy", "main-copy-2", ...). */
export function duplicatePack(pack: ScenarioPackInput, taken: ReadonlySet<string>): ScenarioPackInput {
  const copy = structuredClone(pack);
  copy.id = uniqueName(`${pack.id}-copy`, taken);
  copy.name = `${pack.name} (copy)`;
  return copy;
}

/** `base`, or `base-2`, `base-3` ... whichever is not in `taken`. */
export function uniqueName(base: string, taken: ReadonlySet<string> | readonly string[]): string {
  const has = (n: string) => (taken instanceof Set ? taken.has(n) : (taken as readonly string[]).includes(n));
  if (!has(base)) return base;
  for (let i = 2; ; i++) if (!has(`${base}-${i}`)) return `${base}-${i}`;
}

/** Renames a key in a record, keeping the order of entries. */
export function renameKey<T>(record: Record<string, T>, from: string, to: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k === from ? to : k, v]));
}

/** Record without `key`. */
export function withoutKey<T>(record: Record<string, T>, key: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}

/** Replaces `{from}` references with `{to}` in one template string (literal `{{`/`}}` untouched). */
export function renameRef(text: string, from: string, to: string): string {
  const escaped = from.replace(/[-]/g, '\\$&');
  return text.replace(new RegExp(`(?<!\\{)\\{${escaped}\\}(?!\\})`, 'g'), `{${to}}`);
}

/** Applies `renameRef` to every template and phrase in the pack, in place; also decision names. */
export function renameRefEverywhere(pack: ScenarioPackInput, from: string, to: string): void {
  const fix = (s: string | undefined) => (s === undefined ? s : renameRef(s, from, to));
  for (const pair of [...pack.pairs.train, ...pack.pairs.probe]) {
    pair.self = fix(pair.self)!;
    pair.other = fix(pair.other)!;
  }
  const fixTest = (test: Partial<ScenarioPackInput['test']>) => {
    if (test.template !== undefined) test.template = fix(test.template)!;
    if (test.mirrorTemplate !== undefined) test.mirrorTemplate = fix(test.mirrorTemplate);
    if (test.answerFormat !== undefined) test.answerFormat = fix(test.answerFormat);
    if (test.honestyPrompt !== undefined) test.honestyPrompt = fix(test.honestyPrompt);
    if (test.decision) {
      if (test.decision.deceptive === from) test.decision.deceptive = to;
      if (test.decision.honest === from) test.decision.honest = to;
    }
  };
  fixTest(pack.test);
  const phrases = pack.phrases ?? {};
  for (const k of Object.keys(phrases)) phrases[k] = fix(phrases[k])!;
  for (const variant of pack.variants ?? []) {
    if (variant.test) fixTest(variant.test);
    for (const k of Object.keys(variant.phrases ?? {})) variant.phrases![k] = fix(variant.phrases![k])!;
  }
}
