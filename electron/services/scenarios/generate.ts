/**
 * SOO training and probe pairs: self/other prompts filled with seeded values.
 *
 * Instance i uses template pair `pairs[set][i % T]` (cycling through the templates over the values,
 * as the published recipe does); values come from the lists' `train` split for set=train and from the
 * `test` split for set=probe, drawn per instance (random.ts). The same pack, seed and n give the same
 * pairs, byte for byte. Expects a validated pack (validate.ts); variants never apply to pairs.
 */
import { badInput } from '../../contract/errors.ts';
import type { PairOptions, RenderedPair, ScenarioPack } from '../../contract/scenario-pack.ts';
import { drawValues } from './random.ts';
import { expandTemplate, fillTemplate } from './template.ts';
import { usedPlaceholders } from './variant.ts';

/** The published training set size: about 52 pairs from 3 template pairs. */
export const DEFAULT_PAIR_COUNT = 52;

/** Pair number `index` (0-based) of a set. Throws bad_input if the set has no template pairs. */
export function generatePair(pack: ScenarioPack, set: PairOptions['set'], index: number, seed: number): RenderedPair {
  const templates = pack.pairs[set];
  if (templates.length === 0) throw badInput(`pack "${pack.id}" has no ${set} pairs`, { path: `$.pairs.${set}` });
  const t = index % templates.length;
  const template = templates[t]!;
  const self = expandTemplate(template.self, pack.phrases);
  const other = expandTemplate(template.other, pack.phrases);
  const names = usedPlaceholders([self, other], pack.placeholders);
  const split = set === 'train' ? 'train' : 'test';
  const values = drawValues(names, pack.placeholders, pack.lists, split, seed, `pairs:${set}`, index);
  return {
    self: fillTemplate(self, values, `$.pairs.${set}[${t}].self`),
    other: fillTemplate(other, values, `$.pairs.${set}[${t}].other`),
    template: template.id,
    values,
  };
}

export function generatePairs(pack: ScenarioPack, options: PairOptions): RenderedPair[] {
  return Array.from({ length: options.n }, (_, i) => generatePair(pack, options.set, i, options.seed));
}
