/**
 * The ready experiment of the built-in demo model: the experiment config (experiments/config.ts)
 * that `soo-lab demo` runs and the Experiments page starts with, derived from a demo build and its
 * recipe (resources/demo/recipe.json, section `soo`):
 *
 *   main scenario  the recipe's pack (demo-house), held-out test values, both room orders, every
 *                  variant the pack declares (the `self` variant gives the self-side honesty);
 *   training       the recipe's `soo` block (layer, positions, targets, rank, alpha, dropout, lr,
 *                  epochs, batch, pairs) over its seeds;
 *   capability     perplexity on the demo's own held-out plain text (written next to the model,
 *                  `<model>.heldout.txt`, so the number is about words the model knows); no
 *                  theory-of-mind control and no other packs: their words are not in the demo's
 *                  vocabulary, and a score there would only measure byte fallback.
 *
 * `quick` (CI) keeps the recipe's SOO settings and cuts the seeds to the first two.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfigInput } from '../experiments/config.ts';
import type { DemoBuildInfo } from './builder.ts';
import { demoInputs } from './demoInputs.ts';

/** Seeds of a quick (CI) demo experiment: the first ones of the recipe. */
export const QUICK_DEMO_SEEDS = 2;

/** Held-out tokens the demo experiment scores, before and per seed (~80 texts: a few seconds each). */
const PERPLEXITY_TOKENS = 2048;

/** `<model>.heldout.txt`: the build's held-out plain texts, one per line (written once, atomically). */
export function demoHeldOutFile(build: DemoBuildInfo, scenariosDir: string): string {
  const file = build.modelPath.replace(/\.gguf$/, '.heldout.txt');
  if (!fs.existsSync(file)) {
    const { corpus } = demoInputs(build.recipe, scenariosDir);
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, corpus.heldOut.join('\n') + '\n');
    fs.renameSync(tmp, file);
  }
  return file;
}

export function demoExperimentConfig(build: DemoBuildInfo, heldOutFile: string): ExperimentConfigInput {
  const { soo, eval: evaluation, pack } = build.recipe;
  const quick = build.variant === 'quick';
  return {
    name: `Demo model: SOO (${build.variant})`,
    model: build.modelPath,
    preset: 'organism',
    scenario: pack,
    variants: 'all',
    mirror: true,
    generalisation: [],
    control: null,
    evaluation: { n: evaluation.prompts, seed: evaluation.seed, maxTokens: evaluation.maxTokens, chatTemplate: 'none' },
    seeds: quick ? soo.seeds.slice(0, QUICK_DEMO_SEEDS) : soo.seeds,
    training: {
      layer: soo.layer,
      positions: soo.positions,
      point: soo.point,
      selfAnchor: soo.selfAnchor,
      targets: soo.targets,
      rank: soo.rank,
      alpha: soo.alpha,
      dropout: soo.dropout,
      lr: soo.lr,
      epochs: soo.epochs,
      batch: soo.batch,
      pairs: soo.pairs,
    },
    latent: { pairs: soo.pairs, layers: 'all' },
    // each held-out text its own document, as the model was trained (one window across texts would
    // mostly score boundaries and positions it never saw: ~120 vs ~4 on the full model)
    capability: { perplexity: true, perplexityFile: heldOutFile, perplexityUnit: 'line', perplexityTokens: PERPLEXITY_TOKENS },
    threads: build.recipe.train.threads === 0 ? null : build.recipe.train.threads,
  };
}

/** The demo's reports folder: <dataDir>/reports. */
export function demoReportPath(dataDir: string, runId: string): string {
  return path.join(dataDir, 'reports', `demo-${runId}.html`);
}
