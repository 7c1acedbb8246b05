/**
 * The whole loop on the built-in demo model, as the app and `soo-lab demo` run it:
 *
 *   build (or take from the cache) the demo model -> its ready experiment (demoExperiment.ts:
 *   baseline, SOO per seed, re-evaluation, latent SOO, perplexity) -> the HTML report in
 *   <dataDir>/reports/demo-<run>.html
 *
 * and the app's pieces of it: `status` (is the model built, what did its build measure, the ready
 * config) and `startBuild` (the build as a job with progress and cancel, which the app starts on
 * first use). The work is the builder's and ExperimentService's; this file only wires them.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DemoStatusView } from '../../contract/demo.ts';
import type { ExperimentConfigInput } from '../experiments/config.ts';
import type { ExperimentProgress } from '../experiments/runner.ts';
import type { ExperimentService } from '../experiments/service.ts';
import type { ExperimentSummary } from '../experiments/summary.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { experimentReportHtml, type ReportEnvironment } from '../reports/html.ts';
import type { DemoBuildProgress, DemoBuildResult, DemoModelService, DemoVariant } from './builder.ts';
import { demoExperimentConfig, demoHeldOutFile, demoReportPath } from './demoExperiment.ts';
import { organismProblems } from './organismCheck.ts';

export interface DemoLoopOptions {
  demoModel: DemoModelService;
  experiments: ExperimentService;
  jobs: JobRunner;
  dataDir: string;
  resourcesDir: string;
  /** The build the app's entries use when none is named. */
  defaultVariant: DemoVariant;
  environment: () => ReportEnvironment;
}

export interface DemoRunOptions {
  variant: DemoVariant;
  /** Where the report goes; default <dataDir>/reports/demo-<run id>.html. */
  reportPath?: string;
  signal?: AbortSignal;
  onBuildProgress?: (p: DemoBuildProgress) => void;
  onExperimentProgress?: (p: ExperimentProgress) => void;
  onExperimentStart?: (runId: string) => void;
}

export interface DemoRunResult {
  build: DemoBuildResult;
  config: ExperimentConfigInput;
  summary: ExperimentSummary;
  reportPath: string;
}

export class DemoLoop {
  readonly #o: DemoLoopOptions;

  constructor(options: DemoLoopOptions) {
    this.#o = options;
  }

  /** The ready experiment of a built model. */
  config(build: DemoBuildResult | NonNullable<ReturnType<DemoModelService['cached']>>): ExperimentConfigInput {
    return demoExperimentConfig(build, demoHeldOutFile(build, path.join(this.#o.resourcesDir, 'scenarios')));
  }

  async run(options: DemoRunOptions): Promise<DemoRunResult> {
    const { signal } = options;
    const build = await this.#o.demoModel.build({ variant: options.variant, ...(signal ? { signal } : {}), ...(options.onBuildProgress ? { onProgress: options.onBuildProgress } : {}) });
    signal?.throwIfAborted();
    const config = this.config(build);
    const summary = await this.#o.experiments.run(config, {
      ...(signal ? { signal } : {}),
      ...(options.onExperimentStart ? { onStart: options.onExperimentStart } : {}),
      ...(options.onExperimentProgress ? { onProgress: options.onExperimentProgress } : {}),
    });
    const reportPath = options.reportPath ?? demoReportPath(this.#o.dataDir, summary.run.id);
    fs.mkdirSync(path.dirname(reportPath), { recursive: true });
    const tmp = `${reportPath}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, experimentReportHtml(summary, this.#o.environment()));
    fs.renameSync(tmp, reportPath);
    return { build, config, summary, reportPath };
  }

  /** What the app shows before the demo model is used: built or not, its measurements, the ready config. */
  status(variant: DemoVariant = this.#o.defaultVariant): DemoStatusView {
    const { modelPath } = this.#o.demoModel.paths(variant);
    const build = this.#o.demoModel.cached(variant);
    const building = this.#o.jobs.list().find((j) => j.kind === 'demo' && j.state === 'running');
    return {
      variant,
      modelPath,
      built: build !== null,
      buildJobId: building?.jobId ?? null,
      measurement: build?.measurement ?? null,
      problems: organismProblems(build?.measurement ?? null),
      seconds: build?.seconds ?? null,
      config: build ? (this.config(build) as Record<string, unknown>) : null,
    };
  }

  /** Builds the demo model as a job (progress per training step and measured prompt; cancel stops after the current step). One at a time. */
  startBuild(variant: DemoVariant = this.#o.defaultVariant): { jobId: string } {
    const running = this.#o.jobs.list().find((j) => j.kind === 'demo' && j.state === 'running');
    if (running) return { jobId: running.jobId };
    const { jobId } = this.#o.jobs.start('demo', `Build the demo model (${variant})`, async ({ signal, onProgress }) => {
      const build = await this.#o.demoModel.build({
        variant,
        signal,
        onProgress: (p) =>
          onProgress({
            stage: p.condition ? `${p.stage}: ${p.condition}` : p.stage,
            done: p.done,
            total: p.total,
            unit: p.stage === 'train' ? 'steps' : p.stage === 'measure' ? 'prompts' : '',
            ...(p.loss !== undefined ? { metrics: { step: p.done, loss: p.loss, ...(p.tokensPerS ? { tokensPerS: p.tokensPerS } : {}) } } : {}),
          }),
      });
      return { modelPath: build.modelPath };
    });
    return { jobId };
  }
}
