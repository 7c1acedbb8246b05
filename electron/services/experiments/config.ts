/**
 * An experiment's configuration: the JSON a user writes (or the Experiments page builds), its
 * schema, the per-family presets from the published recipe (method.md, "LLM recipe") and the
 * defaults, all in one place. `resolveExperimentConfig` turns user JSON into the full effective
 * configuration (every default filled in), which is what a run records and what `--resume` compares.
 *
 * Does not: read model files, resolve packs or run anything (runner.ts).
 */
import { z } from 'zod';
import { TAP_POINTS, type TapPointName } from '../../contract/api.ts';
import { badInput } from '../../contract/errors.ts';

/** Training hyper-parameters of one model family. Units: lr per optimizer step; batch in pairs. */
export interface TrainingPreset {
  /** The SOO layer L (0-based): loss on attn_out-L; LoRA on layers 0..L. */
  layer: number;
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  positions: 'full' | 'last' | 'mean';
}

/**
 * Presets. mistral and gemma2 are the published recipes (LoRA on q and v). `organism` is the one
 * corner that changed the built-in organism's behaviour (organism-notes.md: L=0, mean positions,
 * lr 5e-3, ~60 steps from 52 pairs at batch 4 = 5 epochs). `tiny` is for generated test models.
 */
export const PRESETS = {
  mistral: { layer: 19, rank: 8, alpha: 32, dropout: 0.2, lr: 1e-4, epochs: 15, batch: 4, positions: 'full' },
  gemma2: { layer: 20, rank: 4, alpha: 8, dropout: 0.1, lr: 9e-4, epochs: 8, batch: 4, positions: 'full' },
  organism: { layer: 0, rank: 8, alpha: 16, dropout: 0, lr: 5e-3, epochs: 5, batch: 4, positions: 'mean' },
  tiny: { layer: 1, rank: 4, alpha: 8, dropout: 0, lr: 1e-3, epochs: 2, batch: 2, positions: 'mean' },
} as const satisfies Record<string, TrainingPreset>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

const positions = z.enum(['full', 'last', 'mean']);
const tapPoint = z.enum(TAP_POINTS);
const target = z.enum(['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down']);
const seed = z.int().min(0).max(2 ** 31 - 1);

/** What a user writes. Every field but `model` has a default. */
export const experimentConfigInput = z.strictObject({
  /** Shown in run lists and the report. */
  name: z.string().default(''),
  /** The base model, a .gguf path. */
  model: z.string().min(1),
  /** Training preset; fields given under `training` override it. Defaults to mistral (published). */
  preset: z.enum(PRESET_NAMES as [PresetName, ...PresetName[]]).default('mistral'),
  /** Main scenario pack: a built-in or saved pack id, or a pack file. */
  scenario: z.string().min(1).default('burglar-house'),
  /** Generalisation variants of the main pack; "all" = every variant it declares. */
  variants: z.union([z.literal('all'), z.array(z.string().min(1))]).default('all'),
  /** Also evaluate the mirrored main scenario (honest option named first). */
  mirror: z.boolean().default(true),
  /** Other packs evaluated as generalisation settings (treasure hunt, escape room). */
  generalisation: z.array(z.string().min(1)).default(['treasure-hunt', 'escape-room']),
  /** Theory-of-mind control pack (capability: should stay at baseline); null for none. */
  control: z.string().min(1).nullable().default('theory-of-mind'),
  evaluation: z
    .strictObject({
      /** Test prompts per scenario. Published: 250. */
      n: z.int().min(1).default(250),
      /** Seed of the test prompt values (the same for every training seed: a fixed test set). */
      seed: seed.default(0),
      /** New tokens per answer. Published: about 75. */
      maxTokens: z.int().min(1).default(75),
      chatTemplate: z.enum(['auto', 'none']).default('auto'),
    })
    .prefault({}),
  /** Training seeds; the results aggregate over ALL of them (never picked by outcome). Published: 5. */
  seeds: z.array(seed).min(1).default([0, 1, 2, 3, 4]),
  training: z
    .strictObject({
      layer: z.int().min(0).optional(),
      targets: z.array(target).min(1).default(['attn_q', 'attn_v']),
      rank: z.int().min(1).optional(),
      alpha: z.number().positive().optional(),
      dropout: z.number().min(0).lt(1).optional(),
      lr: z.number().positive().optional(),
      epochs: z.int().min(1).optional(),
      batch: z.int().min(1).optional(),
      positions: positions.optional(),
      /**
       * The node of layer L the SOO loss compares: attn_out (o_proj output, the published tap), mlp_out (FFN
       * output) or resid (the layer's output). With mlp_out and resid, layer L's FFN targets are trained too.
       */
      point: tapPoint.default('attn_out'),
      /**
       * Weight of the self anchor (native/src/train/self-anchor.h): the objective becomes SOO + selfAnchor *
       * MSE between the self prompt's layer-L output (l_out-L) with and without the adapter,
       * which keeps the model's outputs on the self prompts at the base model's (the counterpart of the RL
       * version's capability term). 0 = off: the published objective.
       */
      selfAnchor: z.number().min(0).max(1e6).default(0),
      /** Self/other training pairs (published: about 52) and their seed. */
      pairs: z.int().min(1).default(52),
      pairSeed: seed.default(0),
    })
    .prefault({}),
  latent: z
    .strictObject({
      /** Probe pairs in the test wording (published: 52). */
      pairs: z.int().min(1).default(52),
      pairSeed: seed.default(0),
      /** 0-based layers; "all" = every layer of the model. */
      layers: z.union([z.literal('all'), z.array(z.int().min(0)).min(1)]).default('all'),
      /** Defaults to the training point. */
      point: tapPoint.optional(),
      /** Defaults to the training positions. */
      positions: positions.optional(),
    })
    .prefault({}),
  capability: z
    .strictObject({
      /** Perplexity of the model on held-out text (resources/capability/heldout.txt unless `perplexityFile`). */
      perplexity: z.boolean().default(true),
      perplexityFile: z.string().min(1).optional(),
      /** Tokens of the text scored (the first N; with unit 'line', in total over the first lines). */
      perplexityTokens: z.int().min(8).default(512),
      /**
       * 'text': the file is one document, scored in one window (prose for real models). 'line': every
       * line is its own document (BOS + line), pooled (a model trained on short single documents).
       */
      perplexityUnit: z.enum(['text', 'line']).default('text'),
      /**
       * MT-Bench-style judging: a FastChat question file (JSONL: question_id, category, turns[],
       * optional reference[]) and a local judge GGUF. The model answers every turn before and after
       * training; the judge grades each answer 1-10 (experiments/mtbench.ts). null = off.
       */
      mtBench: z
        .strictObject({
          questions: z.string().min(1),
          judgeModel: z.string().min(1),
          /** New tokens per answer of the evaluated model. */
          maxTokens: z.int().min(1).default(512),
          /** New tokens per judge reply (explanation + rating). */
          judgeMaxTokens: z.int().min(1).default(256),
          /** The evaluated model's prompt format for MT-Bench: its chat template ('auto', as MT-Bench is meant) or raw text. */
          chatTemplate: z.enum(['auto', 'none']).default('auto'),
        })
        .nullable()
        .default(null),
    })
    .prefault({}),
  /** CPU threads; null = all cores. */
  threads: z.int().min(1).nullable().default(null),
});
export type ExperimentConfigInput = z.input<typeof experimentConfigInput>;
type Parsed = z.output<typeof experimentConfigInput>;

/** The full effective configuration: every default filled in, the preset folded into `training`. */
export type ExperimentConfig = Omit<Parsed, 'training' | 'latent'> & {
  training: TrainingPreset & { targets: Parsed['training']['targets']; point: TapPointName; selfAnchor: number; pairs: number; pairSeed: number };
  latent: Omit<Parsed['latent'], 'positions' | 'point'> & { positions: 'full' | 'last' | 'mean'; point: TapPointName };
};

/** Parses user JSON (already parsed from text); `file` names it in errors. Throws bad_input with the JSON path. */
export function resolveExperimentConfig(input: unknown, file = 'the experiment config'): ExperimentConfig {
  const parsed = experimentConfigInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const jsonPath = ['$', ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))].join('').replace(/\.\[/g, '[');
    throw badInput(`${file}: ${jsonPath}: ${issue.message}`, { file, path: jsonPath });
  }
  const c = parsed.data;
  const preset = PRESETS[c.preset];
  const t = c.training;
  const training = {
    layer: t.layer ?? preset.layer,
    targets: t.targets,
    rank: t.rank ?? preset.rank,
    alpha: t.alpha ?? preset.alpha,
    dropout: t.dropout ?? preset.dropout,
    lr: t.lr ?? preset.lr,
    epochs: t.epochs ?? preset.epochs,
    batch: t.batch ?? preset.batch,
    positions: t.positions ?? preset.positions,
    point: t.point,
    selfAnchor: t.selfAnchor,
    pairs: t.pairs,
    pairSeed: t.pairSeed,
  };
  if (new Set(c.seeds).size !== c.seeds.length) throw badInput(`${file}: $.seeds: a seed is listed twice (${c.seeds.join(', ')})`, { file, path: '$.seeds' });
  return { ...c, training, latent: { ...c.latent, positions: c.latent.positions ?? training.positions, point: c.latent.point ?? training.point } };
}
