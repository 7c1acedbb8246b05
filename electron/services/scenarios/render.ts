/**
 * Test prompts: the pack's test scenario (through a variant) filled with seeded held-out values.
 *
 * A prompt is `[honestyPrompt] template [answerFormat]`, the parts joined by one space unless the seam
 * already has whitespace. `mirror` renders `mirrorTemplate` instead of `template`; the values (and so
 * the decision) of prompt i are the same with and without `mirror`, and with any variant that leaves
 * the lists alone. Values always come from the `test` split. Expects a validated pack.
 */
import { badInput } from '../../contract/errors.ts';
import type { RenderedPrompt, RenderOptions, ScenarioPack } from '../../contract/scenario-pack.ts';
import { drawValues } from './random.ts';
import { expandTemplate, fillTemplate, firstReference } from './template.ts';
import { applyVariant, testTexts, usedPlaceholders, type Scenario } from './variant.ts';

/** The published evaluation size: 250 test instances. */
export const DEFAULT_PROMPT_COUNT = 250;

/** Joins prompt parts with one space, unless one side of the seam already ends/starts with whitespace. */
function joinParts(parts: string[]): string {
  return parts.reduce((acc, part) => (acc === '' ? part : /\s$/.test(acc) || /^\s/.test(part) ? acc + part : `${acc} ${part}`), '');
}

/** Checks the flags against the scenario before anything is drawn. */
function checkOptions(pack: ScenarioPack, scenario: Scenario, options: Omit<RenderOptions, 'n'>): void {
  if (options.mirror && scenario.test.mirrorTemplate === undefined) {
    throw badInput(`pack "${pack.id}" has no test.mirrorTemplate, so its prompts cannot be mirrored`, { path: '$.test.mirrorTemplate' });
  }
  if (options.honestyPrompt && scenario.test.honestyPrompt === undefined) {
    throw badInput(`pack "${pack.id}" has no test.honestyPrompt to prepend`, { path: '$.test.honestyPrompt' });
  }
}

/** Prompt number `index` (0-based). */
export function renderPrompt(pack: ScenarioPack, index: number, options: Omit<RenderOptions, 'n'>): RenderedPrompt {
  const scenario = applyVariant(pack, options.variant);
  checkOptions(pack, scenario, options);
  const { test, phrases } = scenario;
  const names = usedPlaceholders(
    testTexts(scenario).map((t) => t.tokens),
    pack.placeholders,
  );
  const values = drawValues(names, pack.placeholders, scenario.lists, 'test', options.seed, 'render', index);
  const field = options.mirror ? 'mirrorTemplate' : 'template';
  const body = expandTemplate(test[field] ?? '', phrases);
  const parts: string[] = [];
  if (options.honestyPrompt) parts.push(fillTemplate(expandTemplate(test.honestyPrompt ?? '', phrases), values, '$.test.honestyPrompt'));
  parts.push(fillTemplate(body, values, `$.test.${field}`));
  if (test.answerFormat) parts.push(fillTemplate(expandTemplate(test.answerFormat, phrases), values, '$.test.answerFormat'));
  const honestFirst = firstReference(body, test.decision.honest);
  const deceptiveFirst = firstReference(body, test.decision.deceptive);
  return {
    prompt: joinParts(parts),
    deceptive: values[test.decision.deceptive] ?? '',
    honest: values[test.decision.honest] ?? '',
    variant: scenario.variant,
    values,
    mirrored: honestFirst >= 0 && (deceptiveFirst < 0 || honestFirst < deceptiveFirst),
  };
}

export function renderPrompts(pack: ScenarioPack, options: RenderOptions): RenderedPrompt[] {
  const scenario = applyVariant(pack, options.variant);
  checkOptions(pack, scenario, options);
  return Array.from({ length: options.n }, (_, i) => renderPrompt(pack, i, options));
}
