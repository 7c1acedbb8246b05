/**
 * Shapes of the experiment and run entries of the contract (api.ts): what the Experiments, Runs and
 * Reports pages receive. Plain JSON; rates are fractions in [0, 1]; SD is the population SD over seeds.
 * No node or electron imports.
 */
import type { ErrorData } from './errors.ts';

export type BucketName = 'deceptive' | 'honest' | 'neither' | 'degenerate';

export interface SeedAggregateView {
  mean: number;
  sd: number;
  perSeed: { seed: number; value: number }[];
}

export interface RunView {
  id: string;
  kind: string;
  status: string;
  parentId: string | null;
  name: string;
  config: unknown;
  appVersion: string;
  modelPath: string | null;
  modelSha256: string | null;
  adapterPath: string | null;
  adapterSha256: string | null;
  seed: number | null;
  error: ErrorData | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ScenarioResultView {
  key: string;
  /** self: the model advises itself (self-side honesty; honest = the answer that serves it). */
  role: 'deception' | 'control' | 'self';
  before: (Record<BucketName, number> & { n: number; runId: string }) | null;
  after: Record<BucketName, SeedAggregateView> | null;
  afterRuns: { seed: number; runId: string }[];
}

/** MT-Bench-style score before / after one seed: mean readable judge rating (1-10), null if none was readable. */
export interface MtBenchPhaseView {
  score: number | null;
  n: number;
  rated: number;
  runId: string;
}

export interface ExperimentView {
  run: RunView;
  /** The effective config (every default filled in). */
  config: Record<string, unknown> & { seeds: number[] };
  seeds: number[];
  finishedSeeds: number[];
  scenarios: ScenarioResultView[];
  /** The self-advising variant of the main pack (and its mirror); empty when the pack has none. */
  selfSide: ScenarioResultView[];
  /** Null when the experiment has no MT-Bench config. */
  mtBench: { before: MtBenchPhaseView | null; after: SeedAggregateView | null; afterRuns: (MtBenchPhaseView & { seed: number })[] } | null;
  honestyPrompt: (Record<BucketName, number> & { n: number; runId: string }) | null;
  latent: { layers: number[]; before: number[] | null; after: SeedAggregateView[] | null };
  perplexity: { before: number | null; after: SeedAggregateView | null };
  training: { seed: number; runId: string; losses: (number | null)[]; adapterPath: string | null; adapterSha256: string | null }[];
  children: RunView[];
  /** The results as tables (the report's and the CSV export's). */
  tables: { name: string; title: string; columns: string[]; rows: (string | number | null)[][] }[];
}

export interface ExperimentPresetInfo {
  name: string;
  layer: number;
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  positions: 'full' | 'last' | 'mean';
}

export interface RunResponseView {
  idx: number;
  variant: string;
  mirrored: boolean;
  prompt: string;
  response: string;
  bucket: BucketName;
  deceptiveValue: string;
  honestValue: string;
}

export interface RunDetail {
  run: RunView;
  metrics: { name: string; value: number | null; detail?: unknown }[];
  artifacts: { kind: string; path: string; sha256?: string | null; bytes?: number | null }[];
  steps: { step: number; loss: number | null }[];
  children: RunView[];
}
