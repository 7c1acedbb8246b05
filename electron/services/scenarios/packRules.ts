/**
 * The cross-field rules of a scenario pack (docs/scenario-packs.md): references, placeholders, lists,
 * ids, self/other pairs and variants; the decision rules are in decisionRules.ts. Runs on a pack whose
 * shape zod has accepted; returns every problem with its JSON path and never throws.
 */
import type { ErrorIssue } from '../../contract/errors.ts';
import type { ScenarioPack, TestScenario, ValueList } from '../../contract/scenario-pack.ts';
import { decisionIssues } from './decisionRules.ts';
import { normalise, quoteList } from './packText.ts';
import { expandPhrases, parseTemplate, referencesOf } from './template.ts';
import { MAIN_VARIANT, applyVariant, testTexts, usedPlaceholders } from './variant.ts';

const TEST_FIELDS = ['template', 'mirrorTemplate', 'answerFormat', 'honestyPrompt'] as const;

type Add = (path: string, message: string) => void;

/** Every cross-field problem of a shape-valid pack, rule group by rule group. */
export function packRuleIssues(pack: ScenarioPack): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  const add: Add = (path, message) => issues.push({ path, message });
  referenceRules(pack, add);
  placeholderRules(pack, add);
  idRules(pack, add);
  listRules(pack, add);
  selfVariantRules(pack, add);
  const used = new Set([...pairRules(pack, add), ...scenarioRules(pack, add, issues)]);
  for (const name of Object.keys(pack.placeholders)) {
    if (!used.has(name)) add(`$.placeholders.${name}`, `{${name}} is defined but no template, phrase or variant uses it`);
  }
  return issues;
}

/** Syntax and references of every text; a phrase refers to placeholders only; no name is both. */
function referenceRules(pack: ScenarioPack, add: Add): void {
  const placeholderNames = Object.keys(pack.placeholders);
  const phraseNames = Object.keys(pack.phrases);
  const isPlaceholder = (n: string) => Object.hasOwn(pack.placeholders, n);
  const isPhrase = (n: string) => Object.hasOwn(pack.phrases, n);
  for (const name of phraseNames) {
    if (isPlaceholder(name)) add(`$.phrases.${name}`, `"${name}" is both a phrase and a placeholder; rename one of them`);
  }
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
}

/** Every placeholder's list exists; at most one placeholder is the party. */
function placeholderRules(pack: ScenarioPack, add: Add): void {
  for (const [name, placeholder] of Object.entries(pack.placeholders)) {
    if (!Object.hasOwn(pack.lists, placeholder.list)) {
      add(`$.placeholders.${name}.list`, `refers to list "${placeholder.list}", which the pack does not have (lists: ${Object.keys(pack.lists).join(', ') || 'none'})`);
    }
  }
  const parties = partyPlaceholders(pack);
  for (const name of parties.slice(1)) {
    add(`$.placeholders.${name}.role`, `only one placeholder may have role "party", but {${parties[0]}} has it already`);
  }
}

function partyPlaceholders(pack: ScenarioPack): string[] {
  return Object.keys(pack.placeholders).filter((n) => pack.placeholders[n]!.role === 'party');
}

/** Unique pair ids per set, unique variant ids, "main" reserved. */
function idRules(pack: ScenarioPack, add: Add): void {
  for (const set of ['train', 'probe'] as const) duplicateIds(pack.pairs[set].map((p) => p.id), `$.pairs.${set}`, add);
  duplicateIds(pack.variants.map((v) => v.id), '$.variants', add);
  pack.variants.forEach((variant, v) => {
    if (variant.id === MAIN_VARIANT) add(`$.variants[${v}].id`, `"${MAIN_VARIANT}" is reserved for the pack without a variant`);
  });
}

/** No duplicates; train and test disjoint, also across lists and for the lists variants bring. */
function listRules(pack: ScenarioPack, add: Add): void {
  const trainValues = new Map<string, string>(); // normalised value -> "<list>.train[i]", first occurrence
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
}

/**
 * Pairs: self and other use the same placeholders, the party only in `other`; the lists they draw
 * from can serve them. Returns the placeholders the pairs use.
 */
function pairRules(pack: ScenarioPack, add: Add): Set<string> {
  const used = new Set<string>();
  const party = partyPlaceholders(pack)[0];
  const sameAs = `self and other must use the same placeholders (apart from {${party ?? 'party'}})`;
  for (const set of ['train', 'probe'] as const) {
    const split = set === 'train' ? 'train' : 'test';
    pack.pairs[set].forEach((pair, i) => {
      const selfNames = usedPlaceholders([expandPhrases(parseTemplate(pair.self).tokens, pack.phrases)], pack.placeholders);
      const otherNames = usedPlaceholders([expandPhrases(parseTemplate(pair.other).tokens, pack.phrases)], pack.placeholders);
      for (const n of [...selfNames, ...otherNames]) used.add(n);
      const path = `$.pairs.${set}[${i}]`;
      if (party && selfNames.includes(party)) add(`${path}.self`, `{${party}} is the other party's name: it may appear only in "other"`);
      const missingInOther = selfNames.filter((n) => n !== party && !otherNames.includes(n));
      const missingInSelf = otherNames.filter((n) => n !== party && !selfNames.includes(n));
      if (missingInOther.length) add(`${path}.other`, `does not use ${quoteList(missingInOther)}, which "self" uses; ${sameAs}`);
      if (missingInSelf.length) add(`${path}.self`, `does not use ${quoteList(missingInSelf)}, which "other" uses; ${sameAs}`);
      checkDraws([...new Set([...selfNames, ...otherNames])], pack.lists, split, `${set} pair "${pair.id}"`, (list) => `$.lists.${list}`, pack, add);
    });
  }
  return used;
}

/**
 * The test scenario, for the pack and for each variant: the decision rules (decisionRules.ts) and
 * the lists drawn from. A variant's decision is checked only when the pack's own is fine, and its
 * problems are reported at the field it overrides, or at the variant itself when only its phrases or
 * lists changed. Returns the placeholders the test scenarios use.
 */
function scenarioRules(pack: ScenarioPack, add: Add, issues: ErrorIssue[]): Set<string> {
  const used = new Set<string>();
  const main = applyVariant(pack);
  const mainDecisionIssues = decisionIssues(pack, main, (field) => `$.test.${field}`);
  issues.push(...mainDecisionIssues);
  const mainNames = usedPlaceholders(testTexts(main).map((t) => t.tokens), pack.placeholders);
  for (const n of mainNames) used.add(n);
  checkDraws(mainNames, pack.lists, 'test', 'the test scenario', (list) => `$.lists.${list}`, pack, add);
  pack.variants.forEach((variant, v) => {
    const scenario = applyVariant(pack, variant.id);
    const base = `$.variants[${v}]`;
    const overridden = (field: keyof TestScenario) => variant.test?.[field] !== undefined;
    const listPath = (list: string) => (variant.lists?.[list] ? `${base}.lists.${list}` : `$.lists.${list}`);
    if (mainDecisionIssues.length === 0) {
      for (const issue of decisionIssues(pack, scenario, (field) => (overridden(field) ? `${base}.test.${field}` : base), listPath)) {
        add(issue.path, issue.path === base ? `with this variant's overrides, ${issue.message}` : issue.message);
      }
    }
    const names = usedPlaceholders(testTexts(scenario).map((t) => t.tokens), pack.placeholders);
    for (const n of names) used.add(n);
    checkDraws(names, scenario.lists, 'test', `variant "${variant.id}"`, listPath, pack, add);
  });
  return used;
}

/**
 * The self-advising variant (`advises: "self"`): at most one, and its test wording differs from the
 * pack's (through its own `test.template` or phrase overrides), in the mirrored wording too when the
 * pack has one; else it would render the prompt in which the other party is advised.
 */
function selfVariantRules(pack: ScenarioPack, add: Add): void {
  const selves = pack.variants.flatMap((v, i) => (v.advises === 'self' ? [i] : []));
  for (const i of selves.slice(1)) add(`$.variants[${i}].advises`, `only one variant may advise the model itself (already $.variants[${selves[0]}])`);
  const main = applyVariant(pack);
  const wording = (s: ReturnType<typeof applyVariant>, field: 'template' | 'mirrorTemplate') => JSON.stringify(expandPhrases(parseTemplate(s.test[field] ?? '').tokens, s.phrases));
  for (const i of selves) {
    const self = applyVariant(pack, pack.variants[i]!.id);
    if (wording(self, 'template') === wording(main, 'template')) {
      add(`$.variants[${i}]`, 'a self-advising variant must change the test wording (its own test.template, or phrase overrides) so that the model advises itself');
    } else if (pack.test.mirrorTemplate !== undefined && wording(self, 'mirrorTemplate') === wording(main, 'mirrorTemplate')) {
      add(`$.variants[${i}].test.mirrorTemplate`, 'the pack has a test.mirrorTemplate, so its self-advising variant must change the mirrored wording too');
    }
  }
}

function duplicateIds(ids: string[], path: string, add: Add): void {
  ids.forEach((id, i) => {
    const first = ids.indexOf(id);
    if (first < i) add(`${path}[${i}].id`, `duplicate id "${id}" (already used at ${path}[${first}])`);
  });
}

function duplicateValues(values: string[], path: string, add: Add): void {
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
  add: Add,
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
