/**
 * The RL experiment's entries of the contract (api.ts): input schemas and the shapes the RL page
 * receives. Positions are in box units (walls at +-1); rates are fractions in [0, 1]; SD is the sample
 * SD over seeds (as electron/services/rl/metrics/behaviour.ts). No node or electron imports.
 *
 * The settings mirror electron/services/rl/config.ts (which fills the published defaults and checks the
 * rest); the schemas here only bound what may cross the boundary.
 */
import { z } from 'zod';

const runId = z.string().min(1).max(200);
const seed = z.number().int().min(0).max(2 ** 31 - 1);
const episodes = z.number().int().min(1).max(10_000_000);
const episodeLength = z.number().int().min(1).max(10_000);
const weight = z.number().min(0).max(1e6);

/** Settings both kinds of training share (unset: the published default of config.ts). */
const common = {
  episodes: episodes.optional(),
  episodeLength: episodeLength.optional(),
  lr: z.number().positive().max(10).optional(),
  batchSize: z.number().int().min(1).max(1_000_000).optional(),
  updateEvery: z.number().int().min(1).max(1_000_000).optional(),
  warmupSteps: z.number().int().min(1).max(100_000_000).optional(),
  noiseStart: z.number().min(0).max(10).optional(),
  noiseEnd: z.number().min(0).max(10).optional(),
  checkpointEvery: z.number().int().min(1).max(10_000_000).optional(),
  logEvery: z.number().int().min(1).max(10_000_000).optional(),
  evalEpisodes: z.number().int().min(0).max(1_000_000).optional(),
};

/** MADDPG baselines: one run per seed, trained one after the other in one job. */
export const rlTrainStartInput = z.object({
  mode: z.enum(['deceptive', 'honest']),
  seeds: z.array(seed).min(1).max(64),
  ...common,
  replaySize: z.number().int().min(1).max(10_000_000).optional(),
});

/** SOO fine-tuning of deceptive baselines' blue: one run per source run, one after the other. */
export const rlSooStartInput = z.object({
  fromRunIds: z.array(runId).min(1).max(64),
  sooWeight: weight.optional(),
  capabilityWeight: weight.optional(),
  ...common,
  bufferSize: z.number().int().min(1).max(10_000_000).optional(),
});

export const rlResumeInput = z.object({ runId, episodes: episodes.optional() });

export const rlEvalStartInput = z.object({ runIds: z.array(runId).min(1).max(200), episodes: z.number().int().min(1).max(100_000).optional(), seed: seed.optional() });

/** Runs by role; all empty = every finished train/soo run, the newest per (role, seed). */
export const rlReportStartInput = z.object({
  honest: z.array(runId).max(200).optional(),
  deceptive: z.array(runId).max(200).optional(),
  soo: z.array(runId).max(200).optional(),
  episodes: z.number().int().min(1).max(100_000).optional(),
  episodeCounts: z.array(z.number().int().min(1).max(100_000)).min(1).max(100).optional(),
});

/** A report run's metrics; `resolution` thresholds per axis of the grid (every k-th of the 100). */
export const rlMetricsInput = z.object({ runId, resolution: z.number().int().min(2).max(100).default(50) });

/** One evaluation episode of a run's agents: world `seed` (default: the run's), episode index. */
export const rlTraceInput = z.object({ runId, seed: seed.optional(), episode: z.number().int().min(0).max(100_000).default(0) });

export type RlRole = 'honest' | 'deceptive' | 'soo';

/** An RL run as the page lists it. */
export interface RlRunView {
  id: string;
  name: string;
  /** train (a baseline), soo (fine-tuning), eval, report. */
  action: 'train' | 'soo' | 'eval' | 'report' | 'unknown';
  /** What blue is, for train and soo runs. */
  role: RlRole | null;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  seed: number | null;
  /** Episodes asked for, and episodes stored in the last logged window (progress of a stopped run). */
  episodes: number | null;
  episodesDone: number | null;
  episodeLength: number | null;
  /** The source deceptive run of a soo run. */
  fromRunId: string | null;
  /** End-of-run evaluation (eval.*) and totals (train.*) as stored; empty while running. */
  metrics: Record<string, number | null>;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

/** The result of an rl.evalStart job (snake_case, as `soo-lab rl eval --json` prints it). */
export interface RlEvalView {
  run_id: string;
  episodes: number;
  agents: {
    run: string;
    role: RlRole;
    seed: number;
    episodes: number;
    /** Fraction of steps with blue at the goal; the same worlds with blue acting at random. */
    blue_goal_frac: number;
    random_blue_goal_frac: number;
    blue_at_goal_end: number;
    red_trapped: number;
    /** Fraction of steps with red and blue within sight (0.125) of each other. */
    in_sight_frac: number;
    reward_blue: number;
    reward_red: number;
    mean_soo_value: number;
    deceptive_candidates: number;
  }[];
}

/** Thresholds of the deceptive-action grid (metrics/grid.ts), cells [xIndex][yIndex]. */
export interface RlGridAxes {
  /** x thresholds: projection of blue's move on the direction to the non-goal, in [0, 1]. */
  x: number[];
  /** y thresholds: cosine between the goal and non-goal directions, in [-1, 1]. */
  y: number[];
}

/** Per role: the grid of candidate counts per evaluation episode, mean and SD over seeds, and per seed. */
export interface RlRoleGrid {
  role: RlRole;
  seeds: number[];
  /** mean[i][j]: counts per episode with x >= x[i] and y <= y[j], mean over seeds. */
  mean: number[][];
  sd: number[][];
  perSeed: { seed: number; run: string; values: number[][] }[];
}

export interface RlMetricsView {
  runId: string;
  name: string;
  createdAt: string;
  /** Evaluation episodes per agent. */
  episodes: number;
  seeds: number[];
  /** in_sight_frac: fraction of steps with red and blue in sight of each other (absent in reports made before it existed). */
  agents: { seed: number; role: RlRole; run: string; blue_goal_frac: number; red_trapped: number; in_sight_frac?: number; mean_soo_value: number; deceptive_candidates: number }[];
  /** Grid MSE per pair of roles ("soo_vs_honest", ...): mean and SD over the seeds having both. */
  behaviour: { pair: string; mean: number; sd: number; seeds: number; per_seed: number[] }[];
  /** SOO classification accuracy (honest = lower mean SOO value) against evaluation episodes per seed. */
  classification: { episodes: number; accuracy: number; correct: number; seeds: number }[];
  axes: RlGridAxes;
  grids: RlRoleGrid[];
}

/** The world at one step (t = 0: after reset; t = k: after the k-th step). */
export interface RlTraceStep {
  t: number;
  blue: [number, number];
  red: [number, number];
  /** Blue's action that led here (null at t = 0), each component in [-1, 1]. */
  actBlue: [number, number] | null;
  redTrapped: boolean;
  inSight: boolean;
  blueAtGoal: boolean;
  /** This step counts in the deceptive-action grid (red in sight after a move towards the non-goal). */
  candidate: boolean;
}

export interface RlEpisodeTrace {
  runId: string;
  role: RlRole;
  /** The world seed (evaluation stream) and the episode index in it. */
  seed: number;
  episode: number;
  landmarks: [[number, number], [number, number]];
  goal: 0 | 1;
  steps: RlTraceStep[];
  /** Drawing constants from the environment. */
  sightRadius: number;
  reachRadius: number;
  agentSize: number;
  landmarkSize: number;
}
