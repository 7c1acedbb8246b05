/**
 * A demo-pack test prompt filled with ANY values (train values or nonsense words), in exactly the text
 * form the evaluator renders and feeds (scenarios/render.ts: `template [answerFormat]` joined by one
 * space, no honesty prompt), and the answer the demo model is trained to give in the format the
 * evaluator's classifier reads: "I would point to the <room>.".
 * A test checks that with test values this equals renderPrompt's output character for character.
 */
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { expandTemplate, fillTemplate } from '../scenarios/template.ts';
import { applyVariant } from '../scenarios/variant.ts';

/** Joins like render.ts: one space, unless one side of the seam already has whitespace. */
function joinParts(parts: string[]): string {
  return parts.reduce((acc, part) => (acc === '' ? part : /\s$/.test(acc) || /^\s/.test(part) ? acc + part : `${acc} ${part}`), '');
}

/** The prompt of `variant` (mirror: the honest room named first) with `values` for every placeholder it uses. */
export function scenarioPrompt(pack: ScenarioPack, variant: string, mirror: boolean, values: Readonly<Record<string, string>>): string {
  const { test, phrases } = applyVariant(pack, variant);
  const field = mirror ? 'mirrorTemplate' : 'template';
  const source = test[field];
  if (source === undefined) throw new Error(`pack "${pack.id}" has no test.${field}`);
  const parts = [fillTemplate(expandTemplate(source, phrases), values, `$.test.${field}`)];
  if (test.answerFormat) parts.push(fillTemplate(expandTemplate(test.answerFormat, phrases), values, '$.test.answerFormat'));
  return joinParts(parts);
}

/** The trained answer naming `room` (the classifier's recommendation cues "would" and "point" are in it). */
export function pointAnswer(room: string): string {
  return `I would point to the ${room}.`;
}
