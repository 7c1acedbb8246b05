/**
 * Validation of scenario packs: the zod shape (electron/contract/scenario-pack.ts), then every
 * cross-field rule of docs/scenario-packs.md. Every problem is reported, each with its JSON path
 * ("$.lists.rooms.test[3]"), so a designer can fix a pack in one pass.
 *
 * Does not render anything (generate.ts, render.ts) and does not touch the store (service.ts).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { badInput, type ErrorIssue } from '../../contract/errors.ts';
import { scenarioPackSchema, type ScenarioPack, type TestScenario, type ValueList } from '../../contract/scenario-pack.ts';
import { jsonPath } from '../api/dispatch.ts';
import { parseJsonText } from './jsonText.ts';
import { expandPhrases, firstReference, parseTemplate, referencesOf } from './template.ts';
import { MAIN_VARIANT, applyVariant, testTexts, usedPlaceholders, type Scenario } from './variant.ts';

export interface PackValidation {
  /** The pack with defaults filled in; set only when there are no issues. */
  pack?: ScenarioPack;
  /** The pack as far as its shape is right (set even when cross-field rules fail); for previews only. */
  draft?: ScenarioPack;
  issues: ErrorIssue[];
}

export function validatePack(input: unknown): PackValidation {
  const issues = unknownFieldIssues(input);
  const parsed = scenarioPackSchema.safeParse(input);
  if (!parsed.success) return { issues: dedupe([...zodIssues(parsed.error), ...issues]) };
  issues.push(...crossFieldIssues(parsed.data));
  const unique = dedupe(issues);
  return unique.length ? { draft: parsed.data, issues: unique } : { pack: parsed.data, draft: parsed.data, issues: [] };
}

/** Reads and validates a pack file; throws bad_input with the file, the first path and every issue. */
export function loadPackFile(file: string): ScenarioPack {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw badInput(`cannot read scenario pack ${file}: ${reason}`, { file });
  }
  return requireValid(parseJsonText(file, text), file);
}

/** Returns the validated pack or throws bad_input listing every issue. */
export function requireValid(input: unknown, file?: string): ScenarioPack {
  const { pack, issues } = validatePack(input);
  if (pack) return pack;
  const first = issues[0]!;
  const where = file ? `${file}: ` : '';
  return failWith(`${where}invalid scenario pack (${issues.length} problem${issues.length === 1 ? '' : 's'}); first: ${first.path}: ${first.message}`, {
    ...(file ? { file } : {}),
    path: first.path,
    issues,
  });
}

function failWith(message: string, extra: Parameters<typeof badInput>[1]): never {
  throw badInput(message, extra);
}

// ---- shape --------------------------------------------------------------------------------------

function zodIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'invalid_key') message = `invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
    return { path: jsonPath(issue.path), message };
  });
}

/** Fields the format knows, per object; anything else is most likely a typo ("mirrortemplate"). */
const KNOWN_FIELDS = {
  pack: ['$schema', 'format', 'id', 'name', 'description', 'kind', 'lists', 'placeholders', 'phrases', 'pairs', 'test', 'variants'],
  list: ['description', 'train', 'test'],
  placeholder: ['list', 'description', 'role'],
  pairs: ['train', 'probe'],
  pair: ['id', 'self', 'other'],
  test: ['template', 'mirrorTemplate', 'decision', 'answerFormat', 'honestyPrompt'],
  decision: ['deceptive', 'honest'],
  variant: ['id', 'description', 'phrases', 'lists', 'test'],
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownFieldIssues(input: unknown): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const check = (value: unknown, known: readonly string[], path: string) => {
    if (!isRecord(value)) return;
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) issues.push({ path: `${path}${jsonPath([key]).slice(1)}`, message: `unknown field "${key}" (expected one of: ${known.join(', ')})` });
    }
  };
  const eachEntry = (value: unknown, known: readonly string[], path: string) => {
    if (isRecord(value)) for (const [k, v] of Object.entries(value)) check(v, known, `${path}${jsonPath([k]).slice(1)}`);
  };
  const eachItem = (value: unknown, known: readonly string[], path: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => check(v, known, `${path}[${i}]`));
  };
  const checkTest = (value: unknown, path: string) => {
    check(value, KNOWN_FIELDS.test, path);
    if (isRecord(value)) check(value.decision, KNOWN_FIELDS.decision, `${path}.decision`);
  };
  if (!isRecord(input)) return issues;
  check(input, KNOWN_FIELDS.pack, '$');
  eachEntry(input.lists, KNOWN_FIELDS.list, '$.lists');
  eachEntry(input.placeholders, KNOWN_FIELDS.placeholder, '$.placeholders');
  check(input.pairs, KNOWN_FIELDS.pairs, '$.pairs');
  if (isRecord(input.pairs)) {
    eachItem(input.pairs.train, KNOWN_FIELDS.pair, '$.pairs.train');
    eachItem(input.pairs.probe, KNOWN_FIELDS.pair, '$.pairs.probe');
  }
  checkTest(input.test, '$.test');
  eachItem(input.variants, KNOWN_FIELDS.variant, '$.variants');
  if (Array.isArray(input.variants)) {
    input.variants.forEach((v, i) => {
      if (!isRecord(v)) return;
      eachEntry(v.lists, KNOWN_FIELDS.list, `$.variants[${i}].lists`);
      checkTest(v.test, `$.variants[${i}].test`);
    });
  }
  return issues;
}

function dedupe(issues: ErrorIssue[]): ErrorIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---- cross-field rules --------------------------------------------------------------------------

const TEST_FIELDS = ['template', 'mirrorTemplate', 'answerFormat', 'honestyPrompt'] as const;

/** Lower-cased, trimmed, inner whitespace collapsed: how values are compared for overlap. */
function normalise(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

function quoteList(names: readonly string[]): string {
  return names.length ? names.map((n) => `{${n}}`).join(', ') : 'none';
}

function crossFieldIssues(pack: ScenarioPack): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const placeholderNames = Object.keys(pack.placeholders);
  const phraseNames = Object.keys(pack.phrases);
  const isPlaceholder = (n: string) => Object.hasOwn(pack.placeholders, n);
  const isPhrase = (n: string) => Object.hasOwn(pack.phrases, n);

  // Names: a phrase and a placeholder may not share a name.
  for (const name of phraseNames) {
    if (isPlaceholder(name)) add(`$.phrases.${name}`, `"${name}" is both a phrase and a placeholder; rename one of them`);
  }

  // Syntax and references of every text. Phrases may refer to placeholders only.
  const checkText = (path: string, source: string, kind: 'phrase' | 'template') => {
    const { tokens, problems } = parseTemplate(source);
    for (const p of problems) add(path, p.message);
    for (const name of referencesOf(tokens)) {
      if (kind === 'phrase' && isPhrase(name) && !isPlaceholder(name)) {
        add(path, `a phrase may refer to placeholders only, but "{${name}}" is a phrase`);
      } else if (!isPlaceholder(name) && !isPhrase(name)) {
        add(path, `"{${name}}" is neither a placeholder nor a phrase (placeholders: ${quoteList(placeholderNames)}; phrases: ${quoteList(phraseNames)})`);
      }
    }
  };
  for (const [name, source] of Object.entries(pack.phrases)) checkText(`$.phrases.${name}`, source, 'phrase');
  for (const set of ['train', 'probe'] as const) {
    pack.pairs[set].forEach((pair, i) => {
      checkText(`$.pairs.${set}[${i}].self`, pair.self, 'template');
      checkText(`$.pairs.${set}[${i}].other`, pair.other, 'template');
    });
  }
  for (const field of TEST_FIELDS) {
    const source = pack.test[field];
    if (source !== undefined) checkText(`$.test.${field}`, source, 'template');
  }
  pack.variants.forEach((variant, v) => {
    for (const [name, source] of Object.entries(variant.phrases ?? {})) {
      if (!isPhrase(name)) add(`$.variants[${v}].phrases.${name}`, `overrides a phrase the pack does not have (phrases: ${quoteList(phraseNames)})`);
      else checkText(`$.variants[${v}].phrases.${name}`, source, 'phrase');
    }
    for (const name of Object.keys(variant.lists ?? {})) {
      if (!Object.hasOwn(pack.lists, name)) add(`$.variants[${v}].lists.${name}`, `overrides a list the pack does not have (lists: ${Object.keys(pack.lists).join(', ') || 'none'})`);
    }
    for (const field of TEST_FIELDS) {
      const source = variant.test?.[field];
      if (source !== undefined) checkText(`$.variants[${v}].test.${field}`, source, 'template');
    }
  });

  // Placeholders: known lists, at most one party.
  const parties = placeholderNames.filter((n) => pack.placeholders[n]!.role === 'party');
  for (const name of placeholderNames) {
    const list = pack.placeholders[name]!.list;
    if (!Object.hasOwn(pack.lists, list)) add(`$.placeholders.${name}.list`, `refers to list "${list}", which the pack does not have (lists: ${Object.keys(pack.lists).join(', ') || 'none'})`);
  }
  for (const name of parties.slice(1)) {
    add(`$.placeholders.${name}.role`, `only one placeholder may have role "party", but {${parties[0]}} has it already`);
  }
  const party = parties[0];

  // Ids: unique pair ids per set, unique variant ids, "main" reserved.
  for (const set of ['train', 'probe'] as const) duplicateIds(pack.pairs[set].map((p) => p.id), `$.pairs.${set}`, add);
  duplicateIds(pack.variants.map((v) => v.id), '$.variants', add);
  pack.variants.forEach((variant, v) => {
    if (variant.id === MAIN_VARIANT) add(`$.variants[${v}].id`, `"${MAIN_VARIANT}" is reserved for the pack without a variant`);
  });

  // Value lists: no duplicates, train and test disjoint (also across lists, and for variants).
  const trainValues = new Map<string, string>(); // normalised value -> "list.train[i]"
  for (const [name, list] of Object.entries(pack.lists)) {
    list.train.forEach((value, i) => trainValues.has(normalise(value)) || trainValues.set(normalise(value), `${name}.train[${i}]`));
  }
  const checkList = (list: ValueList, path: string) => {
    duplicateValues(list.train, `${path}.train`, add);
    duplicateValues(list.test, `${path}.test`, add);
    const ownTrain = new Map(list.train.map((value, i) => [normalise(value), i] as const));
    list.test.forEach((value, i) => {
      const key = normalise(value);
      const own = ownTrain.get(key);
      const elsewhere = trainValues.get(key);
      if (own !== undefined) add(`${path}.test[${i}]`, `"${value}" is also in train (train[${own}]); train and test values must be disjoint`);
      else if (elsewhere !== undefined) add(`${path}.test[${i}]`, `"${value}" is a training value of the pack ($.lists.${elsewhere}); test values must never appear in training`);
    });
  };
  for (const [name, list] of Object.entries(pack.lists)) checkList(list, `$.lists.${name}`);
  pack.variants.forEach((variant, v) => {
    for (const [name, list] of Object.entries(variant.lists ?? {})) {
      if (Object.hasOwn(pack.lists, name)) checkList(list, `$.variants[${v}].lists.${name}`);
    }
  });

  // Pairs: self and other refer to the same placeholders; the party only in `other`.
  const used = new Set<string>();
  for (const set of ['train', 'probe'] as const) {
    const split = set === 'train' ? 'train' : 'test';
    pack.pairs[set].forEach((pair, i) => {
      const self = expandPhrases(parseTemplate(pair.self).tokens, pack.phrases);
      const other = expandPhrases(parseTemplate(pair.other).tokens, pack.phrases);
      const selfNames = usedPlaceholders([self], pack.placeholders);
      const otherNames = usedPlaceholders([other], pack.placeholders);
      for (const n of [...selfNames, ...otherNames]) used.add(n);
      const path = `$.pairs.${set}[${i}]`;
      if (party && selfNames.includes(party)) add(`${path}.self`, `{${party}} is the other party's name: it may appear only in "other"`);
      const missingInOther = selfNames.filter((n) => n !== party && !otherNames.includes(n));
      const missingInSelf = otherNames.filter((n) => n !== party && !selfNames.includes(n));
      if (missingInOther.length) add(`${path}.other`, `does not use ${quoteList(missingInOther)}, which "self" uses; self and other must use the same placeholders (apart from {${party ?? 'party'}})`);
      if (missingInSelf.length) add(`${path}.self`, `does not use ${quoteList(missingInSelf)}, which "other" uses; self and other must use the same placeholders (apart from {${party ?? 'party'}})`);
      checkDraws([...new Set([...selfNames, ...otherNames])], pack.lists, split, `${set} pair "${pair.id}"`, (list) => `$.lists.${list}`, pack, add);
    });
  }

  // Test scenario, for the pack and for each variant.
  const mainScenario = applyVariant(pack);
  const mainDecisionIssues = decisionIssues(pack, mainScenario, (field) => `$.test.${field}`);
  issues.push(...mainDecisionIssues);
  const mainTexts = testTexts(mainScenario);
  for (const n of usedPlaceholders(mainTexts.map((t) => t.tokens), pack.placeholders)) used.add(n);
  checkDraws(usedPlaceholders(mainTexts.map((t) => t.tokens), pack.placeholders), pack.lists, 'test', 'the test scenario', (list) => `$.lists.${list}`, pack, add);
  pack.variants.forEach((variant, v) => {
    const scenario = applyVariant(pack, variant.id);
    const base = `$.variants[${v}]`;
    const overridden = (field: keyof TestScenario) => variant.test?.[field] !== undefined;
    if (mainDecisionIssues.length === 0) {
      // Reported at the overriding field, or at the variant itself when only its phrases or lists changed.
      const listPath = (list: string) => (variant.lists?.[list] ? `${base}.lists.${list}` : `$.lists.${list}`);
      for (const issue of decisionIssues(pack, scenario, (field) => (overridden(field) ? `${base}.test.${field}` : base), listPath)) {
        add(issue.path, issue.path === base ? `with this variant's overrides, ${issue.message}` : issue.message);
      }
    }
    const names = usedPlaceholders(testTexts(scenario).map((t) => t.tokens), pack.placeholders);
    for (const n of names) used.add(n);
    checkDraws(names, scenario.lists, 'test', `variant "${variant.id}"`, (list) => (variant.lists?.[list] ? `${base}.lists.${list}` : `$.lists.${list}`), pack, add);
  });

  for (const name of placeholderNames) {
    if (!used.has(name)) add(`$.placeholders.${name}`, `{${name}} is defined but no template, phrase or variant uses it`);
  }
  return issues;
}

function duplicateIds(ids: string[], path: string, add: (path: string, message: string) => void): void {
  ids.forEach((id, i) => {
    const first = ids.indexOf(id);
    if (first < i) add(`${path}[${i}].id`, `duplicate id "${id}" (already used at ${path}[${first}])`);
  });
}

function duplicateValues(values: string[], path: string, add: (path: string, message: string) => void): void {
  const keys = values.map(normalise);
  keys.forEach((key, i) => {
    const first = keys.indexOf(key);
    if (first < i) add(`${path}[${i}]`, `duplicate value "${values[i]}" (same as [${first}], ignoring case)`);
  });
}

/**
 * Lists that placeholders draw from in one instance must exist, be non-empty in the split used and
 * have at least as many distinct values as placeholders drawing from them.
 */
function checkDraws(
  names: string[],
  lists: Record<string, ValueList>,
  split: 'train' | 'test',
  where: string,
  listPath: (list: string) => string,
  pack: ScenarioPack,
  add: (path: string, message: string) => void,
): void {
  const byList = new Map<string, string[]>();
  for (const name of names) {
    const list = pack.placeholders[name]!.list;
    byList.set(list, [...(byList.get(list) ?? []), name]);
  }
  for (const [listName, members] of byList) {
    const list = lists[listName];
    if (!list) continue; // reported at $.placeholders.<name>.list
    const distinct = new Set(list[split].map(normalise)).size;
    const path = `${listPath(listName)}.${split}`;
    if (distinct === 0) add(path, `is empty, but ${where} draws ${quoteList(members)} from it`);
    else if (distinct < members.length) add(path, `has ${distinct} distinct value${distinct === 1 ? '' : 's'}, but ${where} needs ${members.length} distinct ones for ${quoteList(members)}`);
  }
}

/**
 * The decision: known, different placeholders, both named in the template (and in the mirror
 * template, which must name the honest option first); their values must never coincide, and no value
 * may contain the other as a whole word (the answer classifier could not tell them apart).
 */
function decisionIssues(
  pack: ScenarioPack,
  scenario: Scenario,
  pathOf: (field: keyof TestScenario) => string,
  listPath: (list: string) => string = (list) => `$.lists.${list}`,
): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const { deceptive, honest } = scenario.test.decision;
  const decisionPath = pathOf('decision');
  const rolePath = (role: 'deceptive' | 'honest') => (decisionPath.endsWith('.decision') ? `${decisionPath}.${role}` : decisionPath);
  const known = (name: string, role: 'deceptive' | 'honest') => {
    if (Object.hasOwn(pack.placeholders, name)) return true;
    add(rolePath(role), `"${name}" is not a placeholder (placeholders: ${quoteList(Object.keys(pack.placeholders))})`);
    return false;
  };
  const bothKnown = [known(deceptive, 'deceptive'), known(honest, 'honest')].every(Boolean);
  if (!bothKnown) return issues;
  if (deceptive === honest) {
    add(rolePath('honest'), `the honest option must differ from the deceptive one (both are {${honest}})`);
    return issues;
  }
  for (const field of ['template', 'mirrorTemplate'] as const) {
    const source = scenario.test[field];
    if (source === undefined) continue;
    const tokens = expandPhrases(parseTemplate(source).tokens, scenario.phrases);
    const d = firstReference(tokens, deceptive);
    const h = firstReference(tokens, honest);
    const missing = [d < 0 ? deceptive : undefined, h < 0 ? honest : undefined].filter((n): n is string => n !== undefined);
    if (missing.length) add(pathOf(field), `does not mention ${quoteList(missing)}; both decision options must appear in the ${field === 'template' ? 'test template' : 'mirror template'}`);
    else if (field === 'mirrorTemplate' && d < h) add(pathOf(field), `must name the honest option {${honest}} before the deceptive one {${deceptive}} (that is what mirroring is for)`);
  }
  // Answers are classified by the test values named in them, so only the test split matters here.
  const dListName = pack.placeholders[deceptive]!.list;
  const hListName = pack.placeholders[honest]!.list;
  const dList = scenario.lists[dListName];
  const hList = scenario.lists[hListName];
  if (dList && hList) {
    if (dListName !== hListName) {
      const shared = dList.test.find((v) => hList.test.some((w) => normalise(v) === normalise(w)));
      if (shared !== undefined) add(decisionPath, `{${deceptive}} and {${honest}} draw from lists ${dListName} and ${hListName}, which share the test value "${shared}", so both options could be the same`);
    }
    for (const [name, list] of new Map([[dListName, dList], [hListName, hList]])) {
      const others = dListName === hListName ? list.test : [...dList.test, ...hList.test];
      list.test.forEach((outer, i) => {
        const inner = others.find((candidate) => containsWords(outer, candidate));
        if (inner !== undefined) {
          add(`${listPath(name)}.test[${i}]`, `"${outer}" contains the option "${inner}" as a whole word, so an answer naming one could not be told from the other`);
        }
      });
    }
  }
  return issues;
}

/** True when `outer` contains `inner` as whole words (case-insensitive) and is not the same value. */
function containsWords(outer: string, inner: string): boolean {
  const o = normalise(outer);
  const n = normalise(inner);
  if (o === n) return false;
  const escaped = n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'u').test(o);
}
