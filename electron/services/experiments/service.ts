/**
 * Experiments as the app and the CLI use them: resolve the config's model and packs (cheap checks
 * first: the GGUF header, the packs and variants, the held-out text), hash the model (cached), build
 * the real backends and run or resume the experiment. Also reads experiments back (summary.ts).
 *
 * Adapters are written under <artifactsDir>/<experiment id>/seed-<S>.gguf.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { badInput, notFound } from '../../contract/errors.ts';
import { identifier, type ScenarioPack } from '../../contract/scenario-pack.ts';
import type { ActivationsService } from '../activations/activationsService.ts';
import type { EngineClient } from '../engine/engineClient.ts';
import { readGgufHeader } from '../models/modelFile.ts';
import { ModelHashCache } from '../models/modelHash.ts';
import type { ScenarioService } from '../scenarios/service.ts';
import { applyVariant } from '../scenarios/variant.ts';
import type { Store } from '../store/db.ts';
import type { RunRepository } from '../store/runs.ts';
import type { ExperimentBackends } from './backends.ts';
import { resolveExperimentConfig, type ExperimentConfig } from './config.ts';
import { createEngineBackends } from './engineBackends.ts';
import { readMtBenchQuestions, type MtBenchQuestion } from './mtbenchQuestions.ts';
import { MtBenchRepository, type MtBenchJudgementRow } from './mtbenchStore.ts';
import type { ResolvedPacks } from './plan.ts';
import { ExperimentRunner, type RunExperimentOptions } from './runner.ts';
import { readExperimentSummary, type ExperimentSummary } from './summary.ts';

export interface ExperimentServiceOptions {
  store: Store;
  runs: RunRepository;
  scenarios: ScenarioService;
  engine: EngineClient;
  activations: ActivationsService;
  appVersion: string;
  resourcesDir: string;
  /** Where adapters go; defaults to <db folder>/experiments. */
  artifactsDir?: string;
  /** Replaces the real backends (tests). */
  backends?: (o: { modelPath: string; modelSha256: string; packs: ResolvedPacks; threads?: number | undefined }) => ExperimentBackends;
}

export class ExperimentService {
  readonly #o: ExperimentServiceOptions;

  constructor(options: ExperimentServiceOptions) {
    this.#o = options;
  }

  /** Parses and checks a config (JSON value); `file` names it in errors. No model is loaded. */
  async check(input: unknown, file?: string): Promise<{ config: ExperimentConfig; packs: ResolvedPacks; modelPath: string; mtBenchQuestions: MtBenchQuestion[] | null }> {
    const config = resolveExperimentConfig(input, file);
    const { path: modelPath } = await readGgufHeader(config.model, '$.model');
    const packs: ResolvedPacks = {
      main: this.#pack(config.scenario, '$.scenario'),
      generalisation: config.generalisation.map((g, i) => this.#pack(g, `$.generalisation[${i}]`)),
      control: config.control === null ? null : this.#pack(config.control, '$.control'),
    };
    if (config.variants !== 'all') {
      for (const [i, v] of config.variants.entries()) {
        try {
          applyVariant(packs.main, v);
        } catch (error) {
          throw badInput(`$.variants[${i}]: ${(error as Error).message}`, { path: `$.variants[${i}]` });
        }
      }
    }
    this.heldoutText(config);
    // MT-Bench: the question file parses (errors name its line and field) and the judge is a GGUF.
    let mtBench = config.capability.mtBench;
    let mtBenchQuestions: MtBenchQuestion[] | null = null;
    if (mtBench) {
      const questions = path.resolve(mtBench.questions);
      mtBenchQuestions = readMtBenchQuestions(questions);
      const { path: judgeModel } = await readGgufHeader(mtBench.judgeModel, '$.capability.mtBench.judgeModel');
      mtBench = { ...mtBench, questions, judgeModel };
    }
    return { config: { ...config, model: modelPath, capability: { ...config.capability, mtBench } }, packs, modelPath, mtBenchQuestions };
  }

  heldoutText(config: ExperimentConfig): string {
    const file = config.capability.perplexityFile ?? path.join(this.#o.resourcesDir, 'capability', 'heldout.txt');
    if (!existsSync(file)) throw badInput(`$.capability.perplexityFile: no such file ${file}`, { file, path: '$.capability.perplexityFile' });
    return readFileSync(file, 'utf8');
  }

  /** Runs a new experiment (config given) or resumes one (options.resume; config optional, must match). */
  async run(input: unknown | null, options: RunExperimentOptions & { file?: string } = {}): Promise<ExperimentSummary> {
    let checked;
    if (input !== null) checked = await this.check(input, options.file);
    else {
      if (!options.resume) throw badInput('give an experiment config, or --resume RUN_ID');
      const run = this.#o.runs.get(options.resume);
      if (!run) throw notFound(`no run with id "${options.resume}" to resume`, { hint: 'soo-lab runs list shows the runs there are' });
      if (run.kind !== 'experiment') throw badInput(`run ${options.resume} is a ${run.kind} run, not an experiment: only experiments resume`);
      checked = await this.check((run.config as { effective: ExperimentConfig }).effective, `run ${run.id}`);
    }
    const { config, packs, modelPath, mtBenchQuestions } = checked;
    const modelSha256 = await new ModelHashCache(this.#o.store.db).sha256(modelPath);
    const byId = new Map<string, ScenarioPack>([packs.main, ...packs.generalisation, ...(packs.control ? [packs.control] : [])].map((p) => [p.id, p]));
    const backends =
      this.#o.backends?.({ modelPath, modelSha256, packs, threads: config.threads ?? undefined }) ??
      createEngineBackends({ modelPath, modelSha256, packs: byId, runs: this.#o.runs, appVersion: this.#o.appVersion, engine: this.#o.engine, activations: this.#o.activations, threads: config.threads ?? undefined });
    const hashes = new ModelHashCache(this.#o.store.db);
    const runner = new ExperimentRunner({
      runs: this.#o.runs,
      db: this.#o.store.db,
      appVersion: this.#o.appVersion,
      backends,
      packs,
      modelPath,
      modelSha256,
      hashFile: (f) => hashes.sha256(f),
      artifactsDir: this.#o.artifactsDir ?? path.join(path.dirname(this.#o.store.file), 'experiments'),
      heldoutText: this.heldoutText(config),
      ...(mtBenchQuestions && config.capability.mtBench
        ? { mtBench: { questions: mtBenchQuestions, judgeSha256: await hashes.sha256(config.capability.mtBench.judgeModel) } }
        : {}),
    });
    try {
      return await runner.run(options.resume ? null : config, options);
    } finally {
      await backends.dispose();
    }
  }

  /** The MT-Bench judgements stored for a run (an MT-Bench stage's child run); [] for others. */
  mtBenchJudgements(runId: string): MtBenchJudgementRow[] {
    return new MtBenchRepository(this.#o.store.db).list(runId);
  }

  summary(runId: string): ExperimentSummary {
    const run = this.#o.runs.get(runId);
    if (!run) throw notFound(`no run with id "${runId}"`, { hint: 'soo-lab runs list shows the runs there are' });
    if (run.kind !== 'experiment') throw badInput(`run ${runId} is a ${run.kind} run, not an experiment`);
    return readExperimentSummary(this.#o.runs, run);
  }

  /** A pack file, or (when no such file exists) the built-in or saved pack with that id. */
  #pack(ref: string, jsonPath: string): ScenarioPack {
    try {
      if (existsSync(ref) || !identifier.safeParse(ref).success) return this.#o.scenarios.loadFile(ref);
      return this.#o.scenarios.resolve(ref);
    } catch (error) {
      throw badInput(`${jsonPath}: ${(error as Error).message}`, { path: jsonPath });
    }
  }
}
