/**
 * What an experiment needs done, as an interface: evaluate a scenario, measure latent SOO per layer,
 * train an adapter, score perplexity. The runner (runner.ts) sequences and records; a backend computes.
 * `engineBackends.ts` implements it with the real engine and node-llama-cpp; tests can pass fakes.
 *
 * Every method records nothing itself EXCEPT `evaluate`, which writes its own child run (the
 * evaluation service records every prompt and raw response as it goes); the runner gives it the run
 * name and parent.
 */
import type { TapPointName } from '../../contract/api.ts';
import type { MtBenchResult } from './mtbench.ts';
import type { MtBenchQuestion } from './mtbenchQuestions.ts';
import type { ScenarioSpec } from './plan.ts';

export interface StageCallOptions {
  signal?: AbortSignal;
  /** done of total in `unit`. */
  onProgress?: (progress: { done: number; total: number; unit: string }) => void;
}

export interface EvaluateStageInput {
  scenario: ScenarioSpec;
  /** Null for the base model. */
  adapterPath: string | null;
  adapterSha256: string | null;
  n: number;
  seed: number;
  maxTokens: number;
  chatTemplate: 'auto' | 'none';
  /** The child run to record, under the experiment. */
  runName: string;
  parentId: string;
  /** The training seed (null for the baseline), recorded in the child run's config. */
  trainingSeed: number | null;
}

export interface LatentStageInput {
  adapterPath: string | null;
  /** Probe pairs (text). */
  pairs: readonly { self: string; other: string }[];
  layers: readonly number[];
  point: 'attn_out' | 'mlp_out' | 'resid';
  positions: 'full' | 'last' | 'mean';
}

export interface TrainStageInput {
  pairs: readonly { self: string; other: string }[];
  layer: number;
  targets: readonly string[];
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  positions: 'full' | 'last' | 'mean';
  /** The node of layer L the loss compares (config.ts). */
  point: TapPointName;
  /** Weight of the self anchor; 0 = off (config.ts). */
  selfAnchor: number;
  seed: number;
  outPath: string;
}

export interface MtBenchStageInput {
  /** Null for the base model. */
  adapterPath: string | null;
  questions: readonly MtBenchQuestion[];
  /** The judge GGUF (absolute path). */
  judgeModel: string;
  maxTokens: number;
  judgeMaxTokens: number;
  chatTemplate: 'auto' | 'none';
}

export interface TrainStep {
  /** 1-based. */
  step: number;
  nSteps: number;
  loss: number;
  stepMs: number;
}

export interface ExperimentBackends {
  /** Layer count of the model (for latent "all"). */
  layerCount(): Promise<number>;
  /** Runs one evaluation, recording its child run (kind eval) with every response; returns its run id. */
  evaluate(input: EvaluateStageInput, options?: StageCallOptions): Promise<{ runId: string }>;
  /** Mean per-pair MSE per layer (same order as input.layers). */
  latent(input: LatentStageInput, options?: StageCallOptions): Promise<{ layer: number; mean: number; std: number }[]>;
  train(input: TrainStageInput, options?: StageCallOptions & { onStep?: (step: TrainStep) => void }): Promise<{ adapterPath: string; losses: number[] }>;
  /** exp(mean negative log-likelihood per predicted token) of `text` (its first maxTokens tokens). */
  perplexity(input: { adapterPath: string | null; text: string; maxTokens: number; unit: 'text' | 'line' }, options?: StageCallOptions): Promise<{ perplexity: number; tokens: number }>;
  /**
   * MT-Bench-style answers of the model and the local judge's ratings (experiments/mtbench.ts);
   * records nothing (the runner stores the rows). Needed only when the config turns MT-Bench on.
   */
  mtBench?(input: MtBenchStageInput, options?: StageCallOptions): Promise<MtBenchResult>;
  /** Frees loaded models. */
  dispose(): Promise<void>;
}
