/**
 * Published SOO LoRA training presets (method.md, "LLM recipe"), by name, plus a tiny one for tests.
 *
 * A preset fills every training setting except the model, the pairs and the output path; explicit
 * settings given with it win. Does not: check a preset against a model (trainingService does: the layer
 * must exist in the model it is used with).
 */
import { badInput } from '../../contract/errors.ts';

export type TrainTarget = 'attn_q' | 'attn_k' | 'attn_v' | 'attn_output' | 'ffn_gate' | 'ffn_up' | 'ffn_down';
export const TRAIN_TARGETS: readonly TrainTarget[] = ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'];
export type TrainPositions = 'full' | 'last' | 'mean';

/** Every training setting a preset carries. */
export interface TrainSettings {
  /** The SOO layer L, 0-based: the loss compares attn_out-L (o_proj output, before the residual add). */
  layer: number;
  /** Weight matrices that get a LoRA (llama.cpp names; attn_q/attn_v = HF q_proj/v_proj). */
  targets: TrainTarget[];
  /** LoRA rank r (columns of A, rows of B). */
  rank: number;
  /** LoRA alpha: the update is W x + alpha / r * B(A x). */
  alpha: number;
  /** Dropout probability on the LoRA input, in [0, 1). */
  dropout: number;
  /** AdamW learning rate (per optimizer step, constant). */
  lr: number;
  /** Passes over the pairs. */
  epochs: number;
  /** Pairs per optimizer step. */
  batch: number;
  /** Optimizer steps' gradients summed before an update (1 = none); effective batch = batch x gradAccumulation. */
  gradAccumulation: number;
  /** Which token positions the MSE compares: full (elementwise, aligned pairs), last token, mean over tokens. */
  positions: TrainPositions;
}

export interface TrainPreset extends TrainSettings {
  name: string;
  /** Where the numbers come from. */
  source: string;
  /** What the preset is for, one line. */
  description: string;
}

export const TRAIN_PRESETS: readonly TrainPreset[] = [
  {
    name: 'mistral-7b',
    source: 'method.md LLM recipe: Mistral-7B-Instruct-v0.2 (4-bit base)',
    description: 'Mistral-7B-Instruct-v0.2: layer 19 of 32, LoRA on q/v, rank 8, alpha 32',
    layer: 19,
    targets: ['attn_q', 'attn_v'],
    rank: 8,
    alpha: 32,
    dropout: 0.2,
    lr: 1e-4,
    epochs: 15,
    batch: 4,
    gradAccumulation: 1,
    positions: 'full',
  },
  {
    name: 'gemma-2-27b',
    source: 'method.md LLM recipe: Gemma-2-27b-it',
    description: 'Gemma-2-27b-it: layer 20 of 46, LoRA on q/v, rank 4, alpha 8',
    layer: 20,
    targets: ['attn_q', 'attn_v'],
    rank: 4,
    alpha: 8,
    dropout: 0.1,
    lr: 9e-4,
    epochs: 8,
    batch: 4,
    gradAccumulation: 1,
    positions: 'full',
  },
  {
    name: 'tiny',
    source: 'tests: tiny random models (3 layers)',
    description: 'Tiny test models: layer 1, LoRA on q/v, rank 4, a high lr so a few steps show a drop',
    layer: 1,
    targets: ['attn_q', 'attn_v'],
    rank: 4,
    alpha: 8,
    dropout: 0,
    lr: 1e-2,
    epochs: 10,
    batch: 2,
    gradAccumulation: 1,
    positions: 'full',
  },
];

export function trainPreset(name: string): TrainPreset {
  const preset = TRAIN_PRESETS.find((p) => p.name === name);
  if (!preset) throw badInput(`unknown training preset '${name}' (known: ${TRAIN_PRESETS.map((p) => p.name).join(', ')})`, { path: '$.preset' });
  return { ...preset, targets: [...preset.targets] };
}
