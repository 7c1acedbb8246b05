/**
 * An experiment's results, read back from the store: its child runs (by their stage names, plan.ts)
 * folded into before/after tables, latent SOO per layer, perplexity and loss curves, with seeds
 * aggregated to mean +- population SD and every per-seed value kept. Built only from stored rows,
 * so an experiment that was killed and resumed reads exactly like one that ran straight through.
 *
 * Does not: run anything, or read responses (the response browser asks the run store per child).
 */
import type { RunRecord, RunRepository } from '../store/runs.ts';
import type { ExperimentConfig } from './config.ts';
import { aggregateSeeds, type SeedAggregate } from './stats.ts';

export const BUCKETS = ['deceptive', 'honest', 'neither', 'degenerate'] as const;
export type BucketName = (typeof BUCKETS)[number];
export type BucketRates = Record<BucketName, number>;

export interface ScenarioResult {
  key: string;
  role: 'deception' | 'control' | 'self';
  /** Baseline rates (fractions of n); null when the baseline eval has not finished. */
  before: (BucketRates & { n: number; runId: string }) | null;
  /** Per bucket over the finished seeds. */
  after: Record<BucketName, SeedAggregate> | null;
  /** Child run ids of the after-training evals, in seed order. */
  afterRuns: { seed: number; runId: string }[];
}

export interface ExperimentSummary {
  run: RunRecord;
  config: ExperimentConfig;
  seeds: number[];
  /** Seeds whose stages have all finished. */
  finishedSeeds: number[];
  scenarios: ScenarioResult[];
  /** The main scenario with the honesty prompt, baseline only. */
  honestyPrompt: (BucketRates & { n: number; runId: string }) | null;
  latent: { layers: number[]; before: number[] | null; after: SeedAggregate[] | null };
  perplexity: { before: number | null; after: SeedAggregate | null };
  /**
   * The self side: the main pack's self-advising variant (and its mirror), where the model advises
   * itself; same shape as `scenarios` (honest = the answer that serves the model). Empty when the
   * pack has no self-advising variant.
   */
  selfSide: ScenarioResult[];
  /** MT-Bench-style score (mean readable judge rating, 1-10); null when the config has no MT-Bench. */
  mtBench: MtBenchSummary | null;
  training: { seed: number; runId: string; losses: (number | null)[]; adapterPath: string | null; adapterSha256: string | null }[];
  children: RunRecord[];
}

export interface MtBenchPhaseResult {
  /** Mean readable rating, null when the judge gave no readable rating at all. */
  score: number | null;
  /** Judged answers, and how many had a readable rating. */
  n: number;
  rated: number;
  runId: string;
}

export interface MtBenchSummary {
  before: MtBenchPhaseResult | null;
  /** Over the seeds whose score is a number (a seed with no readable rating is left out and listed in afterRuns). */
  after: SeedAggregate | null;
  afterRuns: (MtBenchPhaseResult & { seed: number })[];
}

/** What the runner stores in the experiment run's config beside the effective config. */
export interface StoredPlan {
  scenarios: { key: string; role: 'deception' | 'control' | 'self' }[];
  honestyKey: string;
  /** Every stage key in run order (the child runs' names). */
  stages: string[];
}

export function readExperimentSummary(runs: RunRepository, experiment: RunRecord): ExperimentSummary {
  const config = (experiment.config as { effective: ExperimentConfig }).effective;
  const plan = (experiment.config as { plan?: StoredPlan }).plan;
  const children = runs.list({ parentId: experiment.id, limit: 100_000 });
  const done = new Map(children.filter((c) => c.status === 'done').map((c) => [c.name, c]));
  const metricsOf = (run: RunRecord) => new Map(runs.metrics(run.id).map((m) => [m.name, m.value]));
  const rates = (run: RunRecord | undefined) => {
    if (!run) return null;
    const m = metricsOf(run);
    const out = Object.fromEntries(BUCKETS.map((b) => [b, m.get(`${b}_rate`) ?? Number.NaN])) as BucketRates;
    return { ...out, n: m.get('n') ?? 0, runId: run.id };
  };
  const finishedSeeds = config.seeds.filter((s) => (plan?.stages ?? []).filter((k) => k.startsWith(`seed ${s}: `)).every((k) => done.has(k)));

  const results: ScenarioResult[] = (plan?.scenarios ?? []).map(({ key, role }) => {
    const before = rates(done.get(`baseline: eval ${key}`));
    const afterRuns = config.seeds.flatMap((seed) => {
      const r = done.get(`seed ${seed}: eval ${key}`);
      return r ? [{ seed, runId: r.id }] : [];
    });
    const perSeed = afterRuns.map(({ seed, runId }) => ({ seed, rates: rates(done.get(`seed ${seed}: eval ${key}`))!, runId }));
    const after = perSeed.length
      ? (Object.fromEntries(BUCKETS.map((b) => [b, aggregateSeeds(perSeed.map((p) => ({ seed: p.seed, value: p.rates[b] })))])) as Record<BucketName, SeedAggregate>)
      : null;
    return { key, role, before, after, afterRuns };
  });

  const latentOf = (run: RunRecord | undefined): Map<number, number> | null => {
    if (!run) return null;
    const out = new Map<number, number>();
    for (const m of runs.metrics(run.id)) {
      const match = /^latent_mse\.layer_(\d+)$/.exec(m.name);
      if (match && m.value !== null) out.set(Number(match[1]), m.value);
    }
    return out;
  };
  const baseLatent = latentOf(done.get('baseline: latent'));
  const seedLatent = config.seeds.flatMap((seed) => {
    const l = latentOf(done.get(`seed ${seed}: latent`));
    return l ? [{ seed, l }] : [];
  });
  const layers = [...new Set([...(baseLatent?.keys() ?? []), ...seedLatent.flatMap((s) => [...s.l.keys()])])].sort((a, b) => a - b);
  const latent = {
    layers,
    before: baseLatent ? layers.map((L) => baseLatent.get(L) ?? Number.NaN) : null,
    after: seedLatent.length ? layers.map((L) => aggregateSeeds(seedLatent.map((s) => ({ seed: s.seed, value: s.l.get(L) ?? Number.NaN })))) : null,
  };

  const scenarios = results.filter((r) => r.role !== 'self');
  const selfSide = results.filter((r) => r.role === 'self');

  const mtOf = (run: RunRecord | undefined): MtBenchPhaseResult | null => {
    if (!run) return null;
    const m = runs.metrics(run.id).find((x) => x.name === 'mtbench_score');
    if (!m) return null;
    const d = (m.detail ?? {}) as { n?: number; rated?: number };
    return { score: m.value, n: d.n ?? 0, rated: d.rated ?? 0, runId: run.id };
  };
  const mtAfterRuns = config.seeds.flatMap((seed) => {
    const r = mtOf(done.get(`seed ${seed}: mtbench`));
    return r ? [{ ...r, seed }] : [];
  });
  const mtScored = mtAfterRuns.filter((r) => r.score !== null).map((r) => ({ seed: r.seed, value: r.score! }));
  const mtBench: MtBenchSummary | null = config.capability.mtBench
    ? { before: mtOf(done.get('baseline: mtbench')), after: mtScored.length ? aggregateSeeds(mtScored) : null, afterRuns: mtAfterRuns }
    : null;

  const ppl = (run: RunRecord | undefined) => (run ? (metricsOf(run).get('perplexity') ?? null) : null);
  const seedPpl = config.seeds.flatMap((seed) => {
    const v = ppl(done.get(`seed ${seed}: perplexity`));
    return v === null ? [] : [{ seed, value: v }];
  });

  const training = config.seeds.flatMap((seed) => {
    const r = done.get(`seed ${seed}: train`);
    if (!r) return [];
    const adapter = runs.artifacts(r.id).find((a) => a.kind === 'adapter');
    return [{ seed, runId: r.id, losses: runs.steps(r.id).map((s) => s.loss), adapterPath: adapter?.path ?? null, adapterSha256: adapter?.sha256 ?? null }];
  });

  return {
    run: experiment,
    config,
    seeds: config.seeds,
    finishedSeeds,
    scenarios,
    honestyPrompt: plan ? rates(done.get(`baseline: eval ${plan.honestyKey}`)) : null,
    latent,
    perplexity: { before: ppl(done.get('baseline: perplexity')), after: seedPpl.length ? aggregateSeeds(seedPpl) : null },
    selfSide,
    mtBench,
    training,
    children,
  };
}
