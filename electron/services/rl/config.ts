/**
 * The RL experiment's settings in one place, with meaning, units and the published defaults
 * (method.md, "RL experiment"): parsed by zod so every run records its whole effective config and a
 * resume can refuse a changed one. Bad values are bad_input naming the field.
 */
import { z } from 'zod';
import { badInput } from '../../contract/errors.ts';

export const RL_MODES = ['deceptive', 'honest'] as const;
export type RlMode = (typeof RL_MODES)[number];

const int = (min: number) => z.number().int().min(min);
const positive = z.number().positive();

/** MADDPG training of both agents from scratch (the two baselines). */
export const trainConfigSchema = z.object({
  /** deceptive: blue gets +10 per step while red is trapped; honest: no bonus. */
  mode: z.enum(RL_MODES),
  /** Seeds the environment, the networks' initialisation, the noise and the replay sampling. */
  seed: int(0).default(0),
  /** Episodes to train. Published: 40000. */
  episodes: int(1).default(40_000),
  /** Steps per episode. Published: 50. */
  episodeLength: int(1).default(50),
  /** Discount. Published: 0.95. */
  gamma: z.number().min(0).max(1).default(0.95),
  /** Target update rate per update. Published: 0.01. */
  tau: z.number().min(0).max(1).default(0.01),
  /** Adam learning rate. Published: 0.01. */
  lr: positive.default(0.01),
  /** Transitions per update. Published: 1024. */
  batchSize: int(1).default(1024),
  /** Environment steps between two updates. Published: 100. */
  updateEvery: int(1).default(100),
  /** Replay capacity in transitions. Published: 1e6 (capped at the run's total steps). */
  replaySize: int(1).default(1_000_000),
  /** Updates start once the replay holds this many transitions. Defaults to 1024 x 25 (the reference code's). */
  warmupSteps: int(1).default(1024 * 25),
  /** Per-variable gradient norm clip. Published: 0.5. */
  gradClip: positive.default(0.5),
  /** Weight of the actors' pre-tanh output penalty. Defaults to 1e-3 (the reference code's). */
  actionReg: z.number().min(0).default(1e-3),
  /** OU noise sigma at the first and at the last episode (linear in between). Published: 0.3 -> 0. */
  noiseStart: z.number().min(0).default(0.3),
  noiseEnd: z.number().min(0).default(0),
  /** Episodes between checkpoints (and after the last episode). Defaults to 1000. */
  checkpointEvery: int(1).default(1000),
  /** Episodes per logged step (a run_steps row of window means). Defaults to 100. */
  logEvery: int(1).default(100),
  /** Episodes of the deterministic evaluation at the end (goal rate, trap rate). Defaults to 100. */
  evalEpisodes: int(0).default(100),
});
export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

/** SOO fine-tuning of a deceptive run's blue actor (its red stays frozen). */
export const sooConfigSchema = z.object({
  /** The deceptive train run whose blue actor is fine-tuned. */
  fromRunId: z.string().min(1),
  /** Defaults to the source run's seed. */
  seed: int(0).optional(),
  /** Episodes of fine-tuning. Published: 10000. */
  episodes: int(1).default(10_000),
  episodeLength: int(1).default(50),
  /** Weight of the SOO term: mean squared difference of the 128 hidden activations, self vs other. */
  sooWeight: z.number().min(0).default(1),
  /** Weight of the capability term: mean squared difference to the frozen deceptive actor's actions. */
  capabilityWeight: z.number().min(0).default(1),
  lr: positive.default(0.01),
  /** Observations per update (each term). */
  batchSize: int(1).default(1024),
  updateEvery: int(1).default(100),
  /** Observation buffer capacity (blue observations seen while fine-tuning). */
  bufferSize: int(1).default(100_000),
  /** Updates start once the buffer holds this many observations with red out of sight. */
  warmupSteps: int(1).default(1024),
  gradClip: positive.default(0.5),
  noiseStart: z.number().min(0).default(0.3),
  noiseEnd: z.number().min(0).default(0),
  checkpointEvery: int(1).default(1000),
  logEvery: int(1).default(100),
  evalEpisodes: int(0).default(100),
});
export type SooConfig = z.infer<typeof sooConfigSchema>;
export type SooConfigInput = z.input<typeof sooConfigSchema>;

/** Parses with `schema`, turning zod issues into one bad_input naming each field. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: `$.${i.path.join('.')}`, message: i.message }));
  throw badInput(`${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues, path: issues[0]?.path });
}
