/**
 * The contract's experiment and run entries on top of the services (api/handlers.ts calls these):
 * presets, config check, experiment jobs (per-stage progress; a {seed, step, loss} metric per training
 * step for the live loss chart), results views, run listing, responses, JSON/CSV/HTML exports.
 */
import path from 'node:path';
import type { ExportText } from '../../contract/api.ts';
import { notFound } from '../../contract/errors.ts';
import type { ExperimentPresetInfo, ExperimentView, RunDetail, RunResponseView, RunView } from '../../contract/experiments.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { experimentReportHtml } from '../reports/html.ts';
import { exportRun } from '../reports/runExport.ts';
import { experimentTables, tableToCsv } from '../reports/tables.ts';
import { RUN_KINDS, type RunKind, type RunRecord, type RunRepository } from '../store/runs.ts';
import { PRESETS, PRESET_NAMES } from './config.ts';
import { planStages } from './plan.ts';
import type { ExperimentService } from './service.ts';

export interface ExperimentViewsOptions {
  experiments: ExperimentService;
  runs: RunRepository;
  jobs: JobRunner;
  appVersion: string;
  dbFile: string;
}

export class ExperimentViews {
  readonly #o: ExperimentViewsOptions;
  constructor(options: ExperimentViewsOptions) {
    this.#o = options;
  }

  presets(): ExperimentPresetInfo[] {
    return PRESET_NAMES.map((name) => ({ name, ...PRESETS[name] }));
  }

  async check(config: unknown): Promise<{ config: Record<string, unknown>; stages: string[] }> {
    const checked = await this.#o.experiments.check(config, 'the experiment config');
    return { config: checked.config as unknown as Record<string, unknown>, stages: planStages(checked.config, checked.packs).map((s) => s.key) };
  }

  /** Checks the config (bad input fails the call), then runs the experiment as a job. */
  async start(config: unknown): Promise<{ jobId: string }> {
    await this.#o.experiments.check(config, 'the experiment config');
    return this.#job(config, undefined);
  }

  async resume(runId: string): Promise<{ jobId: string }> {
    this.#require(runId);
    return this.#job(null, runId);
  }

  get(runId: string): ExperimentView {
    const s = this.#o.experiments.summary(runId);
    return {
      ...s,
      run: view(s.run),
      config: s.config as unknown as ExperimentView['config'],
      children: s.children.map(view),
      tables: experimentTables(s),
    };
  }

  list(filter: { kind?: string | undefined; parentId?: string | null | undefined; limit?: number | undefined }): RunView[] {
    const kind = filter.kind !== undefined && (RUN_KINDS as readonly string[]).includes(filter.kind) ? (filter.kind as RunKind) : undefined;
    return this.#o.runs.list({ ...(kind ? { kind } : {}), ...(filter.parentId !== undefined ? { parentId: filter.parentId } : {}), limit: filter.limit ?? 500 }).map(view);
  }

  detail(runId: string): RunDetail {
    const run = this.#require(runId);
    return {
      run: view(run),
      metrics: this.#o.runs.metrics(runId),
      artifacts: this.#o.runs.artifacts(runId),
      steps: this.#o.runs.steps(runId).map((s) => ({ step: s.step, loss: s.loss })),
      children: this.#o.runs.list({ parentId: runId, limit: 100_000 }).reverse().map(view),
    };
  }

  responses(runId: string, bucket?: RunResponseView['bucket']): RunResponseView[] {
    this.#require(runId);
    return this.#o.runs
      .responses(runId)
      .filter((r) => bucket === undefined || r.bucket === bucket)
      .map(({ idx, variant, mirrored, prompt, response, bucket: b, deceptiveValue, honestValue }) => ({ idx, variant, mirrored, prompt, response, bucket: b, deceptiveValue, honestValue }));
  }

  exportJson(runId: string): ExportText {
    const run = this.#require(runId);
    return { fileName: `run-${runId}.json`, mimeType: 'application/json', text: `${JSON.stringify(exportRun(this.#o.runs, run, (id) => this.#o.experiments.mtBenchJudgements(id)), null, 1)}\n` };
  }

  reportHtml(runId: string): ExportText {
    const s = this.#o.experiments.summary(runId);
    const env = { appVersion: this.#o.appVersion, platform: `${process.platform} ${process.arch}`, node: process.version, generatedAt: new Date().toISOString(), db: this.#o.dbFile };
    return { fileName: `report-${runId}.html`, mimeType: 'text/html', text: experimentReportHtml(s, env) };
  }

  tables(runId: string, format: 'csv' | 'json'): ExportText[] {
    const tables = experimentTables(this.#o.experiments.summary(runId));
    if (format === 'json') return [{ fileName: `tables-${runId}.json`, mimeType: 'application/json', text: `${JSON.stringify(tables, null, 1)}\n` }];
    return tables.map((t) => ({ fileName: `${t.name}-${runId}.csv`, mimeType: 'text/csv', text: tableToCsv(t) }));
  }

  #job(config: unknown, resume: string | undefined): { jobId: string } {
    const label = resume ? `resume experiment ${resume}` : `experiment ${path.basename(String((config as { model?: unknown })?.model ?? ''))}`;
    const { jobId } = this.#o.jobs.start('experiment', label, async ({ signal, onProgress }) => {
      const summary = await this.#o.experiments.run(config, {
        signal,
        ...(resume ? { resume } : {}),
        onProgress: (p) => onProgress({ stage: `[${p.stageIndex + 1}/${p.stageCount}] ${p.stage}`, done: p.done, total: p.total, unit: p.unit, metrics: { stageIndex: p.stageIndex, stageCount: p.stageCount } }),
        onLoss: (l) => onProgress({ stage: `seed ${l.seed}: train`, done: l.step, total: l.nSteps, unit: 'steps', metrics: { seed: l.seed, step: l.step, loss: l.loss } }),
      });
      return { runId: summary.run.id };
    });
    return { jobId };
  }

  #require(runId: string): RunRecord {
    const run = this.#o.runs.get(runId);
    if (!run) throw notFound(`no run with id "${runId}"`);
    return run;
  }
}

function view(r: RunRecord): RunView {
  return { ...r };
}
