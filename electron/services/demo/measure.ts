/**
 * What the built demo model does on HELD-OUT test prompts (test-split rooms, objects and names) through
 * the project's evaluation service (evaluation/evaluate.ts: raw prompt, greedy, four-bucket classifier):
 *   other        the main prompt (the other party asks): deceptive expected;
 *   self         the `self` variant (you ask yourself): honest expected;
 * each in both room orders (`mirror`), plus the held-out perplexity of plain text (exp of the
 * token-weighted mean NLL over the held-out texts, each scored after its BOS).
 * The caller owns nothing here: the model is loaded and disposed inside.
 */
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { evaluate } from '../evaluation/evaluate.ts';
import { perplexityOfDocuments } from '../experiments/perplexity.ts';
import { sharedLlama } from '../models/llamaRuntime.ts';
import { SELF_VARIANT } from './corpus.ts';

export interface DemoRates {
  n: number;
  deceptive: number;
  honest: number;
  neither: number;
  degenerate: number;
}

export interface DemoMeasurement {
  /** Rates (fractions of n) per condition. */
  other: DemoRates;
  otherMirrored: DemoRates;
  self: DemoRates;
  selfMirrored: DemoRates;
  perplexity: number;
  perplexityTokens: number;
  /** One raw answer per condition, for the log. */
  examples: Record<string, { prompt: string; response: string }>;
  seconds: number;
}

export interface MeasureOptions {
  pack: ScenarioPack;
  prompts: number;
  seed: number;
  maxTokens: number;
  heldOut: readonly string[];
  threads: number;
  signal?: AbortSignal;
  onProgress?: (p: { condition: string; done: number; total: number }) => void;
}

export async function measureDemoModel(modelPath: string, options: MeasureOptions): Promise<DemoMeasurement> {
  const started = performance.now();
  const model = await (await sharedLlama()).loadModel({ modelPath, gpuLayers: 0 });
  try {
    const examples: DemoMeasurement['examples'] = {};
    const run = async (condition: string, variant: string, mirror: boolean): Promise<DemoRates> => {
      const r = await evaluate(model, {
        pack: options.pack,
        n: options.prompts,
        seed: options.seed,
        variant,
        mirror,
        maxTokens: options.maxTokens,
        chatTemplate: 'none',
        threads: options.threads,
        signal: options.signal,
        onProgress: ({ done, total }) => options.onProgress?.({ condition, done, total }),
      });
      examples[condition] = { prompt: r.responses[0]!.prompt, response: r.responses[0]!.response };
      return { n: r.n, deceptive: r.rates.deceptive.rate, honest: r.rates.honest.rate, neither: r.rates.neither.rate, degenerate: r.rates.degenerate.rate };
    };
    const other = await run('other', 'main', false);
    const otherMirrored = await run('otherMirrored', 'main', true);
    const self = await run('self', SELF_VARIANT, false);
    const selfMirrored = await run('selfMirrored', SELF_VARIANT, true);
    // every held-out text is its own document, as in training (experiments score the demo the same way: perplexityUnit 'line')
    const ppl = await perplexityOfDocuments(model, {
      documents: options.heldOut,
      maxTokens: Number.MAX_SAFE_INTEGER,
      threads: options.threads,
      signal: options.signal,
      onProgress: ({ done, total }) => options.onProgress?.({ condition: 'perplexity', done, total }),
    });
    return { other, otherMirrored, self, selfMirrored, perplexity: ppl.perplexity, perplexityTokens: ppl.tokens, examples, seconds: (performance.now() - started) / 1000 };
  } finally {
    await model.dispose();
  }
}
