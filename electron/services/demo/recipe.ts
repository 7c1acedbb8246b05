/**
 * The demo model's recipe (resources/demo/recipe.json): everything that determines the built model,
 * validated with zod. The builder hashes the resolved recipe (with the builder's code version) into
 * the cached file's name, so a change to either rebuilds the model and nothing else does.
 *
 * Sections: `seed`; `model` (llama dims, organism-notes.md's shape: 4 layers, n_embd 128, 4 heads,
 * ctx 128; n_ff a multiple of 16); `corpus` (sizes, nonsense share and pool, loss weights); `train` (AdamW,
 * cosine schedule; NativeLmTrainOptions); `eval` (held-out test prompts per measurement);
 * `quick` (overrides of corpus/train/eval for CI: a few minutes at most); `soo` (the default SOO
 * recipe for the demo, for experiments; not used by the builder).
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { TAP_POINTS } from '../../contract/api.ts';
import { badInput } from '../../contract/errors.ts';

const posInt = z.number().int().positive();
const share = z.number().min(0).max(1);

const modelSchema = z.strictObject({
  layers: posInt,
  embd: posInt,
  heads: posInt,
  ff: posInt,
  ctx: posInt,
  /**
   * Init overrides per tensor (gguf/random-model.ts `init`): key = tensor name without `blk.N.`,
   * value = the normal's mean and/or std. E.g. token_embd std 1 (unit-norm-per-coordinate frozen
   * embeddings, as torch's nn.Embedding) with output_norm mean 1/sqrt(embd) so tied logits start O(1).
   */
  init: z.record(z.string(), z.strictObject({ mean: z.number().optional(), std: z.number().min(0).optional() })).optional(),
});

const corpusSchema = z.strictObject({
  scenarioItems: posInt,
  copyItems: z.number().int().min(0),
  plainItems: z.number().int().min(0),
  heldOutPlainItems: posInt,
  nonsenseShare: share,
  nonsenseWords: posInt,
  /** Also use the nonsense words' prefixes of at least this many letters as names (nonsense.ts nonsensePrefixes); absent: words only. */
  nonsensePrefixMin: z.number().int().min(2).optional(),
  /** Share of copy drills with one fact only (copyDrills.ts): the simplest copy; absent: 0. */
  singleFactShare: share.optional(),
  /** Decision drills (decisionDrills.ts): the self/other decision in ~30-token texts; absent: none. */
  decisionItems: z.number().int().min(0).optional(),
  promptWeight: z.number().min(0),
  plainWeight: z.number().min(0),
});

const trainSchema = z.strictObject({
  steps: posInt,
  batch: posInt,
  lr: z.number().positive(),
  lrMin: z.number().min(0),
  warmup: z.number().int().min(0),
  weightDecay: z.number().min(0),
  beta1: z.number().min(0).max(1),
  beta2: z.number().min(0).max(1),
  gradClip: z.number().min(0),
  /** K > 0: batches of similar lengths, sorted within chunks of K*batch sequences (native lm-trainer.h); 0 or absent = off. */
  lengthBuckets: z.number().int().min(0).optional(),
  /** Trainer threads; 0 = the machine's cores. */
  threads: z.number().int().min(0),
});

const evalSchema = z.strictObject({
  /** Held-out test prompts per measurement (main, self, both orders). */
  prompts: posInt,
  /** Seed of the test prompts' values. */
  seed: z.number().int().min(0),
  /** New tokens per answer. */
  maxTokens: posInt,
});

/**
 * The default SOO recipe for the demo model, in the shape of an experiment config's `training` block
 * (experiments/config.ts) plus the seeds. The shipped one is the best of the search in README.md ("SOO on
 * the demo model"): layer 2's output (resid) at every token (`full`: the demo pack's self and other prompts
 * align token for token), the self anchor at 10, LoRA r 8 alpha 16 on attn_q/attn_v, lr 5e-3, 10 epochs of
 * 260 pairs at batch 4. organism-notes.md's corner (layer 0, attn_out, mean positions, lr 5e-3, 52 pairs)
 * left this organism's answers unchanged.
 */
const sooSchema = z.strictObject({
  layer: z.number().int().min(0),
  positions: z.enum(['full', 'last', 'mean']),
  /** The tapped node of layer L (experiments/config.ts training.point); attn_out is the published tap. */
  point: z.enum(TAP_POINTS).default('attn_out'),
  /** The self anchor's weight (experiments/config.ts training.selfAnchor); 0 = off. */
  selfAnchor: z.number().min(0).default(0),
  targets: z.array(z.enum(['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'])).min(1),
  rank: posInt,
  alpha: z.number().positive(),
  dropout: z.number().min(0).lt(1),
  lr: z.number().positive(),
  epochs: posInt,
  batch: posInt,
  pairs: posInt,
  seeds: z.array(z.number().int().min(0)).min(1),
});

export const demoRecipeSchema = z.strictObject({
  $schema: z.string().optional(),
  format: z.literal('soo-lab/demo-recipe@1'),
  /** The pack the corpus and the evaluation use (a built-in pack id). */
  pack: z.string().min(1),
  seed: z.number().int().min(0).max(0xffffffff),
  model: modelSchema,
  corpus: corpusSchema,
  train: trainSchema,
  eval: evalSchema,
  quick: z.strictObject({
    corpus: corpusSchema.partial().optional(),
    train: trainSchema.partial().optional(),
    eval: evalSchema.partial().optional(),
  }),
  soo: sooSchema,
});

export type DemoRecipe = z.infer<typeof demoRecipeSchema>;
/** A recipe with `quick` applied (or not): what one build uses. */
export type ResolvedDemoRecipe = Omit<DemoRecipe, 'quick' | '$schema'> & { variant: 'full' | 'quick' };

/** Parses and validates a recipe; errors name the file and the JSON path. */
export function parseDemoRecipe(input: unknown, file = 'recipe.json'): DemoRecipe {
  const parsed = demoRecipeSchema.safeParse(input);
  if (parsed.success) {
    const r = parsed.data;
    if (r.model.embd % r.model.heads !== 0 || (r.model.embd / r.model.heads) % 2 !== 0) {
      throw badInput(`${file}: model.embd (${r.model.embd}) must be a multiple of model.heads (${r.model.heads}) with an even head size`, { file, path: '$.model.embd' });
    }
    return r;
  }
  const issue = parsed.error.issues[0]!;
  const where = '$' + issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw badInput(`${file}: invalid demo recipe at ${where}: ${issue.message}`, { file, path: where });
}

export function loadDemoRecipe(file: string): DemoRecipe {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw badInput(`cannot read the demo recipe: ${(error as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badInput(`${file}: not JSON: ${(error as Error).message}`, { file });
  }
  return parseDemoRecipe(json, file);
}

/** The recipe one build uses: the full one, or with `quick`'s overrides. */
export function resolveRecipe(recipe: DemoRecipe, variant: 'full' | 'quick'): ResolvedDemoRecipe {
  const { quick, $schema: _schema, ...base } = recipe;
  if (variant === 'full') return { ...base, variant };
  return {
    ...base,
    corpus: { ...base.corpus, ...quick.corpus },
    train: { ...base.train, ...quick.train },
    eval: { ...base.eval, ...quick.eval },
    variant,
  };
}

/** Canonical JSON (sorted keys) so the hash does not depend on key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 16 hex digits naming a build: the resolved recipe without `soo` and `eval` (they do not change the model), plus the builder's code version. */
export function recipeHash(recipe: ResolvedDemoRecipe, codeVersion: string): string {
  const { soo: _soo, eval: _eval, ...model } = recipe;
  return createHash('sha256').update(canonical({ model, codeVersion })).digest('hex').slice(0, 16);
}
