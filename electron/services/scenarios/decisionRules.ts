/**
 * The decision rules of a scenario pack (docs/scenario-packs.md, rules 16-21): the two options are
 * distinct placeholders, both named in the template and the mirror template (the mirror naming the
 * honest one first), and their test values can always be told apart in an answer.
 */
import type { ErrorIssue } from '../../contract/errors.ts';
import type { ScenarioPack, TestScenario } from '../../contract/scenario-pack.ts';
import { normalise, quoteList } from './packText.ts';
import { expandPhrases, firstReference, parseTemplate } from './template.ts';
import type { Scenario } from './variant.ts';

/**
 * The decision: known, different placeholders, both named in the template (and in the mirror
 * template, which must name the honest option first); their values must never coincide, and no value
 * may contain the other as a whole word (the answer classifier could not tell them apart).
 */
export function decisionIssues(
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
