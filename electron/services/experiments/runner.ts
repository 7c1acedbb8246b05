/**
 * The experiment runner: baseline once, then for each seed SOO training and re-evaluation, every
 * stage recorded as a child run of one `experiment` run (plan.ts names them), and the seed
 * aggregates written as the experiment's metrics at the end (summary.ts reads them back).
 *
 * Resume (`resume: runId`): the stored effective config is used (a config given with it must be
 * equal); a stage whose child run is `done` is skipped, a child left `running` / `failed` /
 * `cancelled` (a kill or crash mid-stage) is deleted with its rows and run again. Stages are
 * deterministic (greedy decoding, seeded prompts, seeded training), so a resumed experiment ends
 * with the same results as one that ran straight through, and no row is written twice.
 *
 * Does not: load models or talk to the engine (ExperimentBackends), resolve files (the caller gives
 * packs and texts), or aggregate by itself beyond what summary.ts does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Database } from 'better-sqlite3';
import { badInput, notFound, toErrorData } from '../../contract/errors.ts';
import { generatePairs } from '../scenarios/generate.ts';
import type { RunRecord, RunRepository } from '../store/runs.ts';
import type { ExperimentBackends, TrainStep } from './backends.ts';
import type { ExperimentConfig } from './config.ts';
import type { MtBenchQuestion } from './mtbenchQuestions.ts';
import { MtBenchRepository } from './mtbenchStore.ts';
import { honestySpec, planStages, scenarioSpecs, type ResolvedPacks, type Stage } from './plan.ts';
import { BUCKETS, readExperimentSummary, type ExperimentSummary, type StoredPlan } from './summary.ts';

export interface ExperimentProgress {
  /** The stage's key ("seed 1: eval burglar-house/main"). */
  stage: string;
  /** 0-based index of the stage, of stageCount. */
  stageIndex: number;
  stageCount: number;
  /** Within the stage, in `unit` (responses, tokens, steps); null total while unknown. */
  done: number;
  total: number | null;
  unit: string;
  /** True when the stage was found done in the store and skipped. */
  skipped?: boolean;
}

export interface ExperimentRunnerOptions {
  runs: RunRepository;
  /** The database the runs live in (MT-Bench judgements; reopening a run for a resume goes through `runs.reopen`). */
  db: Database;
  appVersion: string;
  backends: ExperimentBackends;
  packs: ResolvedPacks;
  /** Absolute model path and its sha256 (models/modelHash.ts). */
  modelPath: string;
  modelSha256: string;
  /** sha256 of a file (adapters); the hash cache in practice. */
  hashFile: (file: string) => Promise<string>;
  /** Folder for adapters: <artifactsDir>/<experiment id>/seed-<S>.gguf. */
  artifactsDir: string;
  /** Held-out text for perplexity (resources/capability/heldout.txt by default). */
  heldoutText: string;
  /** MT-Bench questions (config.capability.mtBench.questions, parsed) and the judge's sha256; needed when MT-Bench is on. */
  mtBench?: { questions: readonly MtBenchQuestion[]; judgeSha256: string | null };
}

export interface RunExperimentOptions {
  /** Continue this experiment instead of starting one. */
  resume?: string;
  signal?: AbortSignal;
  onProgress?: (progress: ExperimentProgress) => void;
  /** Every training step of every seed, as it happens (the live loss chart). */
  onLoss?: (loss: TrainStep & { seed: number }) => void;
  /** Called once the experiment run exists (before any stage). */
  onStart?: (runId: string) => void;
}

export class ExperimentRunner {
  readonly #o: ExperimentRunnerOptions;

  constructor(options: ExperimentRunnerOptions) {
    this.#o = options;
  }

  /** Runs (or resumes) the experiment; returns its summary. Records everything in the store. */
  async run(config: ExperimentConfig | null, options: RunExperimentOptions = {}): Promise<ExperimentSummary> {
    const { runs } = this.#o;
    const experiment = options.resume ? this.#reopen(options.resume, config) : this.#create(config);
    const effective = (experiment.config as { effective: ExperimentConfig }).effective;
    options.onStart?.(experiment.id);
    // A resumed experiment runs the stages it planned when it started (a pack may have gained a variant since).
    const planned = (experiment.config as { plan?: StoredPlan }).plan?.stages;
    const stages = planStages(effective, this.#o.packs).filter((s) => !planned || planned.includes(s.key));
    try {
      const layers = effective.latent.layers === 'all' ? range(await this.#o.backends.layerCount()) : effective.latent.layers;
      for (const [index, stage] of stages.entries()) {
        options.signal?.throwIfAborted();
        const report = (p: Omit<ExperimentProgress, 'stage' | 'stageIndex' | 'stageCount'>) =>
          options.onProgress?.({ stage: stage.key, stageIndex: index, stageCount: stages.length, ...p });
        const existing = runs.list({ parentId: experiment.id, limit: 100_000 }).filter((c) => c.name === stage.key);
        if (existing.some((c) => c.status === 'done') && this.#stillValid(stage, existing.find((c) => c.status === 'done')!)) {
          report({ done: 1, total: 1, unit: 'stage', skipped: true });
          continue;
        }
        for (const c of existing) runs.delete(c.id); // a half-done stage: its rows go, the stage runs again
        report({ done: 0, total: null, unit: 'stage' });
        await this.#runStage(experiment, effective, stage, layers, options, report);
      }
      const summary = readExperimentSummary(runs, runs.get(experiment.id)!);
      runs.setMetrics(experiment.id, summaryMetrics(summary));
      runs.finish(experiment.id);
      return readExperimentSummary(runs, runs.get(experiment.id)!);
    } catch (error) {
      runs.fail(experiment.id, options.signal?.aborted ? { code: 'cancelled', message: 'the experiment was cancelled; --resume continues it' } : toErrorData(error));
      throw error;
    }
  }

  #create(config: ExperimentConfig | null): RunRecord {
    if (!config) throw badInput('give an experiment config, or a run id to resume');
    const specs = scenarioSpecs(config, this.#o.packs);
    const plan: StoredPlan = {
      scenarios: specs.map((s) => ({ key: s.key, role: s.role })),
      honestyKey: honestySpec(config, this.#o.packs).key,
      stages: planStages(config, this.#o.packs).map((s) => s.key),
    };
    return this.#o.runs.create({
      kind: 'experiment',
      name: config.name || `SOO ${path.basename(this.#o.modelPath)} x ${config.seeds.length} seeds`,
      config: { effective: config, plan, packs: { main: this.#o.packs.main.id, generalisation: this.#o.packs.generalisation.map((p) => p.id), control: this.#o.packs.control?.id ?? null } },
      appVersion: this.#o.appVersion,
      modelPath: this.#o.modelPath,
      modelSha256: this.#o.modelSha256,
    });
  }

  /** The experiment to resume, made `running` again; refuses another kind, a changed config or model. */
  #reopen(id: string, config: ExperimentConfig | null): RunRecord {
    const run = this.#o.runs.get(id);
    if (!run) throw notFound(`no run with id "${id}" to resume`, { hint: 'soo-lab runs list shows the runs there are' });
    if (run.kind !== 'experiment') throw badInput(`run ${id} is a ${run.kind} run, not an experiment: only experiments resume`);
    const stored = (run.config as { effective: ExperimentConfig }).effective;
    if (config && !isDeepStrictEqual(JSON.parse(JSON.stringify(config)), stored)) {
      throw badInput(`run ${id} was started with a different config; resume it without --config, or start a new experiment`);
    }
    if (run.modelSha256 !== this.#o.modelSha256) {
      throw badInput(`the model file ${this.#o.modelPath} changed since run ${id} started (sha256 ${this.#o.modelSha256}, was ${run.modelSha256})`);
    }
    return this.#o.runs.reopen(id, 'experiment');
  }

  /** A done train stage is valid while its adapter file is still there with the recorded hash. */
  #stillValid(stage: Stage, child: RunRecord): boolean {
    if (stage.kind !== 'train') return true;
    const adapter = this.#o.runs.artifacts(child.id).find((a) => a.kind === 'adapter');
    return !!adapter && fs.existsSync(adapter.path) && (adapter.bytes === null || fs.statSync(adapter.path).size === adapter.bytes);
  }

  async #runStage(
    experiment: RunRecord,
    config: ExperimentConfig,
    stage: Stage,
    layers: readonly number[],
    options: RunExperimentOptions,
    report: (p: Omit<ExperimentProgress, 'stage' | 'stageIndex' | 'stageCount'>) => void,
  ): Promise<void> {
    const { runs, backends } = this.#o;
    const seed = stage.phase.seed;
    const adapter = seed === null || stage.kind === 'train' ? null : this.#adapterOf(experiment.id, seed);
    const call = { ...(options.signal ? { signal: options.signal } : {}), onProgress: (p: { done: number; total: number; unit: string }) => report(p) };
    switch (stage.kind) {
      case 'eval': {
        await backends.evaluate(
          {
            scenario: stage.scenario,
            adapterPath: adapter?.path ?? null,
            adapterSha256: adapter?.sha256 ?? null,
            n: config.evaluation.n,
            seed: config.evaluation.seed,
            maxTokens: config.evaluation.maxTokens,
            chatTemplate: config.evaluation.chatTemplate,
            runName: stage.key,
            parentId: experiment.id,
            trainingSeed: seed,
          },
          call,
        );
        return;
      }
      case 'latent': {
        const pairs = generatePairs(this.#o.packs.main, { set: 'probe', n: config.latent.pairs, seed: config.latent.pairSeed });
        const child = this.#child(experiment, stage, 'latent', { ...config.latent, layers, pairs: pairs.length }, adapter);
        const result = await backends.latent({ adapterPath: adapter?.path ?? null, pairs, layers, point: config.latent.point, positions: config.latent.positions }, call);
        runs.setMetrics(child.id, result.map((l) => ({ name: `latent_mse.layer_${l.layer}`, value: l.mean, detail: { std: l.std } })));
        runs.finish(child.id);
        return;
      }
      case 'perplexity': {
        const child = this.#child(experiment, stage, 'eval', { capability: 'perplexity', maxTokens: config.capability.perplexityTokens, unit: config.capability.perplexityUnit, file: config.capability.perplexityFile ?? 'resources/capability/heldout.txt' }, adapter);
        const result = await backends.perplexity({ adapterPath: adapter?.path ?? null, text: this.#o.heldoutText, maxTokens: config.capability.perplexityTokens, unit: config.capability.perplexityUnit }, call);
        runs.setMetrics(child.id, [{ name: 'perplexity', value: result.perplexity, detail: { tokens: result.tokens } }]);
        runs.finish(child.id);
        return;
      }
      case 'mtbench': {
        const mt = config.capability.mtBench;
        const questions = this.#o.mtBench?.questions;
        if (!mt || !questions) throw new Error('MT-Bench stage planned without its questions (ExperimentRunnerOptions.mtBench)');
        if (!backends.mtBench) throw new Error('these backends cannot run MT-Bench');
        const child = this.#child(
          experiment,
          stage,
          'eval',
          { capability: 'mtbench', ...mt, judgeSha256: this.#o.mtBench?.judgeSha256 ?? null, questionCount: questions.length },
          adapter,
        );
        const result = await backends.mtBench(
          { adapterPath: adapter?.path ?? null, questions, judgeModel: mt.judgeModel, maxTokens: mt.maxTokens, judgeMaxTokens: mt.judgeMaxTokens, chatTemplate: mt.chatTemplate },
          call,
        );
        new MtBenchRepository(this.#o.db).add(child.id, result.rows);
        const s = result.score;
        runs.setMetrics(child.id, [
          { name: 'mtbench_score', value: s.score, detail: { n: s.n, rated: s.rated, unreadable: s.unreadable, perCategory: s.perCategory, chatTemplate: result.chatTemplate, judgeChatTemplate: result.judgeChatTemplate } },
          { name: 'mtbench_unreadable', value: s.n - s.rated, detail: s.unreadable },
          ...s.perTurn.map((t) => ({ name: `mtbench_score.turn_${t.turn}`, value: t.score, detail: { n: t.n, rated: t.rated } })),
        ]);
        runs.finish(child.id);
        return;
      }
      case 'train': {
        const t = config.training;
        const pairs = generatePairs(this.#o.packs.main, { set: 'train', n: t.pairs, seed: t.pairSeed });
        const outPath = path.join(this.#o.artifactsDir, experiment.id, `seed-${stage.phase.seed}.gguf`);
        fs.mkdirSync(path.dirname(outPath), { recursive: true });
        const child = this.#child(experiment, stage, 'train', { ...t, seed: stage.phase.seed, pairs: pairs.length, outPath }, null);
        const started = performance.now();
        const result = await backends.train(
          { pairs, layer: t.layer, targets: t.targets, rank: t.rank, alpha: t.alpha, dropout: t.dropout, lr: t.lr, epochs: t.epochs, batch: t.batch, positions: t.positions, point: t.point, selfAnchor: t.selfAnchor, seed: stage.phase.seed, outPath },
          {
            ...call,
            onStep: (s) => {
              runs.addSteps(child.id, [{ step: s.step, loss: s.loss, metrics: { stepMs: s.stepMs } }]);
              report({ done: s.step, total: s.nSteps, unit: 'steps' });
              options.onLoss?.({ ...s, seed: stage.phase.seed });
            },
          },
        );
        const sha256 = await this.#o.hashFile(result.adapterPath);
        runs.addArtifacts(child.id, [{ kind: 'adapter', path: result.adapterPath, sha256, bytes: fs.statSync(result.adapterPath).size }]);
        const losses = result.losses;
        runs.setMetrics(child.id, [
          { name: 'loss_first', value: losses[0] ?? null },
          { name: 'loss_last', value: losses.at(-1) ?? null },
          { name: 'seconds', value: (performance.now() - started) / 1000 },
        ]);
        runs.finish(child.id);
        return;
      }
    }
  }

  #child(experiment: RunRecord, stage: Stage, kind: 'latent' | 'eval' | 'train', config: unknown, adapter: { path: string; sha256: string | null } | null): RunRecord {
    return this.#o.runs.create({
      kind,
      parentId: experiment.id,
      name: stage.key,
      config,
      appVersion: this.#o.appVersion,
      modelPath: this.#o.modelPath,
      modelSha256: this.#o.modelSha256,
      adapterPath: adapter?.path ?? null,
      adapterSha256: adapter?.sha256 ?? null,
      seed: stage.phase.seed,
    });
  }

  /** The adapter the seed's train stage recorded. */
  #adapterOf(experimentId: string, seed: number): { path: string; sha256: string | null } {
    const train = this.#o.runs.list({ parentId: experimentId, limit: 100_000 }).find((c) => c.name === `seed ${seed}: train` && c.status === 'done');
    const artifact = train ? this.#o.runs.artifacts(train.id).find((a) => a.kind === 'adapter') : undefined;
    if (!artifact) throw new Error(`seed ${seed}: no trained adapter recorded (the train stage must run first)`);
    return { path: artifact.path, sha256: artifact.sha256 ?? null };
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The experiment's own metrics: per scenario and bucket before / after (mean, detail: sd, per seed). */
export function summaryMetrics(s: ExperimentSummary): { name: string; value: number | null; detail?: unknown }[] {
  const out: { name: string; value: number | null; detail?: unknown }[] = [];
  for (const sc of s.scenarios) {
    for (const b of BUCKETS) {
      if (sc.before) out.push({ name: `before.${sc.key}.${b}_rate`, value: sc.before[b], detail: { n: sc.before.n, runId: sc.before.runId } });
      if (sc.after) out.push({ name: `after.${sc.key}.${b}_rate`, value: sc.after[b].mean, detail: { sd: sc.after[b].sd, perSeed: sc.after[b].perSeed } });
    }
  }
  if (s.honestyPrompt) out.push({ name: 'before.honesty_prompt.deceptive_rate', value: s.honestyPrompt.deceptive, detail: { n: s.honestyPrompt.n } });
  s.latent.layers.forEach((layer, i) => {
    if (s.latent.before) out.push({ name: `before.latent_mse.layer_${layer}`, value: s.latent.before[i]! });
    if (s.latent.after) out.push({ name: `after.latent_mse.layer_${layer}`, value: s.latent.after[i]!.mean, detail: { sd: s.latent.after[i]!.sd, perSeed: s.latent.after[i]!.perSeed } });
  });
  if (s.perplexity.before !== null) out.push({ name: 'before.perplexity', value: s.perplexity.before });
  if (s.perplexity.after) out.push({ name: 'after.perplexity', value: s.perplexity.after.mean, detail: { sd: s.perplexity.after.sd, perSeed: s.perplexity.after.perSeed } });
  for (const sc of s.selfSide) {
    for (const b of BUCKETS) {
      if (sc.before) out.push({ name: `before.self.${sc.key}.${b}_rate`, value: sc.before[b], detail: { n: sc.before.n, runId: sc.before.runId } });
      if (sc.after) out.push({ name: `after.self.${sc.key}.${b}_rate`, value: sc.after[b].mean, detail: { sd: sc.after[b].sd, perSeed: sc.after[b].perSeed } });
    }
  }
  if (s.mtBench?.before) out.push({ name: 'before.mtbench_score', value: s.mtBench.before.score, detail: { n: s.mtBench.before.n, rated: s.mtBench.before.rated } });
  if (s.mtBench?.after) out.push({ name: 'after.mtbench_score', value: s.mtBench.after.mean, detail: { sd: s.mtBench.after.sd, perSeed: s.mtBench.after.perSeed, runs: s.mtBench.afterRuns } });
  return out;
}
