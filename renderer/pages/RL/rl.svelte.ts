/**
 * State of the RL page: the RL runs (rl.runs), the jobs this page started (progress from JobsState),
 * the launch form, the chosen report's metrics (rl.metrics) and the episode viewer's traces (rl.trace).
 * Runs are reloaded when a job of this page ends, so statuses and metrics follow the services.
 */
import type { RlEpisodeTrace, RlEvalView, RlMetricsView, RlRole, RlRunView } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import { untrack } from 'svelte';
import { api, errorDataOf } from '../../lib/api.ts';
import type { JobsState } from '../../lib/state/jobs.svelte.ts';

export type LaunchKind = 'deceptive' | 'honest' | 'soo';

export interface LaunchForm {
  kind: LaunchKind;
  /** Comma-separated seeds (baselines). */
  seeds: string;
  episodes: number;
  episodeLength: number;
  batchSize: number;
  updateEvery: number;
  warmupSteps: number;
  evalEpisodes: number;
  logEvery: number;
  sooWeight: number;
  capabilityWeight: number;
  /** Deceptive runs to fine-tune (SOO). */
  fromRunIds: string[];
}

export interface PageJob {
  jobId: string;
  label: string;
}

export const ROLES: readonly RlRole[] = ['deceptive', 'honest', 'soo'];
export const ROLE_LABEL: Record<RlRole, string> = { deceptive: 'Deceptive baseline', honest: 'Honest baseline', soo: 'SOO fine-tuned' };

/** Parses "0, 1, 2" into distinct non-negative integers, or explains what is wrong. */
export function parseSeeds(text: string): number[] | string {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) return 'give at least one seed';
  const seeds = parts.map(Number);
  const bad = parts.find((p, i) => !Number.isInteger(seeds[i]) || seeds[i]! < 0);
  if (bad !== undefined) return `"${bad}" is not a seed (a whole number >= 0)`;
  if (new Set(seeds).size !== seeds.length) return 'a seed is listed twice';
  return seeds;
}

export class RlState {
  readonly #jobs: JobsState;
  runs = $state.raw<RlRunView[]>([]);
  jobs = $state.raw<PageJob[]>([]);
  error = $state.raw<{ context: string; error: ErrorData } | null>(null);
  form = $state<LaunchForm>({
    kind: 'deceptive',
    seeds: '0',
    episodes: 2000,
    episodeLength: 50,
    batchSize: 1024,
    updateEvery: 100,
    warmupSteps: 25_600,
    evalEpisodes: 100,
    logEvery: 100,
    sooWeight: 1,
    capabilityWeight: 1,
    fromRunIds: [],
  });

  /** Per job of this page: the live numbers of every progress event (one per logged window), by episodes done. */
  curves = $state.raw<Record<string, { done: number; metrics: Record<string, number> }[]>>({});

  /** Runs picked in the runs table for an evaluation, its episodes, and the last evaluation's result. */
  selected = $state<string[]>([]);
  evalEpisodes = $state(100);
  evalResult = $state.raw<RlEvalView | null>(null);

  /** The report whose plots are shown, and its metrics. */
  reportId = $state<string>('');
  metrics = $state.raw<RlMetricsView | null>(null);
  loadingMetrics = $state(false);
  reportEpisodes = $state(100);

  /** Episode viewer: one run per role, the world seed and episode index, the loaded traces. */
  viewRuns = $state<Record<RlRole, string>>({ deceptive: '', honest: '', soo: '' });
  viewSeed = $state(0);
  viewEpisode = $state(0);
  traces = $state.raw<Partial<Record<RlRole, RlEpisodeTrace>>>({});

  constructor(jobs: JobsState) {
    this.#jobs = jobs;
  }

  readonly agentRuns = $derived(this.runs.filter((r) => (r.action === 'train' || r.action === 'soo') && r.status === 'done'));
  readonly reports = $derived(this.runs.filter((r) => r.action === 'report' && r.status === 'done'));
  /** The newest job with live numbers (its chart is shown). */
  readonly liveJob = $derived(this.jobs.find((j) => (this.curves[j.jobId]?.length ?? 0) > 1) ?? null);
  readonly running = $derived(this.jobs.some((j) => !this.#jobs.get(j.jobId)?.done));

  /** Appends the latest progress of each job to its curve (called from an effect on every progress event). */
  observe(): void {
    for (const j of this.jobs) {
      const p = this.#jobs.get(j.jobId)?.progress;
      if (!p?.metrics || Object.keys(p.metrics).length === 0) continue;
      const list = untrack(() => this.curves[j.jobId] ?? []);
      if (list.at(-1)?.done === p.done) continue;
      this.curves = { ...untrack(() => this.curves), [j.jobId]: [...list, { done: p.done, metrics: p.metrics }] };
    }
  }

  async load(): Promise<void> {
    await this.#attempt('Loading RL runs', async () => {
      const [runs, jobs] = await Promise.all([api['rl.runs']({}), api['jobs.list']({})]);
      this.runs = runs;
      // RL jobs still running that this page did not start (or started before it was left and reopened)
      for (const j of jobs) {
        if (j.kind !== 'rl' || j.state !== 'running' || this.jobs.some((x) => x.jobId === j.jobId)) continue;
        this.jobs = [...this.jobs, { jobId: j.jobId, label: j.label }];
        this.#whenDone(j.jobId, j.label);
      }
      if (!this.reportId && this.reports[0]) await this.showReport(this.reports[0].id);
      this.#defaultViewRuns();
    });
  }

  async launch(): Promise<void> {
    const f = this.form;
    // Checkpoints at most every 1000 episodes, and at least as rarely as the logged windows.
    const common = { episodes: f.episodes, episodeLength: f.episodeLength, batchSize: f.batchSize, updateEvery: f.updateEvery, warmupSteps: f.warmupSteps, evalEpisodes: f.evalEpisodes, logEvery: f.logEvery, checkpointEvery: Math.max(f.logEvery, Math.min(1000, f.episodes)) };
    if (f.kind === 'soo') {
      if (f.fromRunIds.length === 0) return this.#fail('Starting SOO fine-tuning', 'pick at least one finished deceptive baseline to fine-tune');
      // SOO updates start once one batch of out-of-sight observations is in (config.ts's default: 1024 = the batch).
      await this.#start('SOO fine-tuning', () => api['rl.sooStart']({ ...common, fromRunIds: [...f.fromRunIds], sooWeight: f.sooWeight, capabilityWeight: f.capabilityWeight, warmupSteps: f.batchSize }));
      return;
    }
    const seeds = parseSeeds(f.seeds);
    if (typeof seeds === 'string') return this.#fail(`Starting the ${f.kind} baseline`, `seeds: ${seeds}`);
    await this.#start(`${f.kind} baseline, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`, () => api['rl.trainStart']({ ...common, mode: f.kind as 'deceptive' | 'honest', seeds }));
  }

  async resume(run: RlRunView): Promise<void> {
    await this.#start(`resume ${run.name}`, () => api['rl.resume']({ runId: run.id }));
  }

  async report(): Promise<void> {
    const id = await this.#start('report', () => api['rl.reportStart']({ episodes: this.reportEpisodes }));
    if (!id) return;
    const result = await this.#jobs.wait<{ run_id: string }>(id).catch(() => null);
    if (result) await this.showReport(result.run_id);
  }

  /** Evaluates the selected runs' agents (each on its own seed's worlds) as a job; the result shows in a table. */
  async evaluate(): Promise<void> {
    const runIds = this.selected.filter((id) => this.agentRuns.some((r) => r.id === id));
    if (runIds.length === 0) return this.#fail('Evaluating', 'select at least one finished run in the table');
    const id = await this.#start(`evaluate ${runIds.length} run(s)`, () => api['rl.evalStart']({ runIds, episodes: this.evalEpisodes }));
    if (!id) return;
    const result = await this.#jobs.wait<RlEvalView>(id).catch(() => null);
    if (result) this.evalResult = result;
  }

  async cancel(jobId: string): Promise<void> {
    await this.#attempt('Cancelling', () => this.#jobs.cancel(jobId));
  }

  async showReport(runId: string): Promise<void> {
    this.reportId = runId;
    this.loadingMetrics = true;
    try {
      await this.#attempt('Loading the report', async () => {
        this.metrics = await api['rl.metrics']({ runId, resolution: 50 });
      });
    } finally {
      this.loadingMetrics = false;
    }
  }

  async downloadReport(): Promise<void> {
    if (!this.reportId) return;
    await this.#attempt('Exporting the report', async () => {
      const file = await api['reports.html']({ runId: this.reportId });
      const url = URL.createObjectURL(new Blob([file.text], { type: file.mimeType }));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.fileName;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  }

  /** Loads the chosen episode for every role that has a run picked. */
  async loadTraces(): Promise<void> {
    await this.#attempt('Loading the episode', async () => {
      const entries = await Promise.all(
        ROLES.filter((r) => this.viewRuns[r]).map(async (role) => [role, await api['rl.trace']({ runId: this.viewRuns[role], seed: this.viewSeed, episode: this.viewEpisode })] as const),
      );
      this.traces = Object.fromEntries(entries);
    });
  }

  /** For each role, the newest finished run of the viewer's seed (else of any seed). */
  #defaultViewRuns(): void {
    for (const role of ROLES) {
      if (this.viewRuns[role] && this.agentRuns.some((r) => r.id === this.viewRuns[role])) continue;
      const pick = this.agentRuns.find((r) => r.role === role && r.seed === this.viewSeed) ?? this.agentRuns.find((r) => r.role === role);
      this.viewRuns[role] = pick?.id ?? '';
    }
  }

  async #start(what: string, call: () => Promise<{ jobId: string }>): Promise<string | null> {
    const r = await this.#attempt(`Starting ${what}`, call);
    if (!r) return null;
    this.jobs = [{ jobId: r.jobId, label: what }, ...this.jobs];
    this.#whenDone(r.jobId, what);
    await this.load();
    return r.jobId;
  }

  /** When the job ends: a banner if it failed, and the runs reloaded. */
  #whenDone(jobId: string, what: string): void {
    void this.#jobs
      .wait(jobId)
      .catch((error: unknown) => {
        const data = errorDataOf(error);
        if (data.code !== 'cancelled') this.error = { context: what, error: data };
      })
      .finally(() => void this.load());
  }

  #fail(context: string, message: string): void {
    this.error = { context, error: { code: 'bad_input', message } };
  }

  async #attempt<T>(context: string, task: () => Promise<T>): Promise<T | undefined> {
    try {
      return await task();
    } catch (error) {
      this.error = { context, error: errorDataOf(error) };
      return undefined;
    }
  }
}
