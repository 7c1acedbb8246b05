/**
 * The Experiments page's state: the config form (a preset plus overrides, edited as JSON-able fields),
 * the running job (per-stage progress, loss points per seed from the job's {seed, step, loss} metrics),
 * and the finished experiment's results (experiments.get).
 */
import type { ExperimentPresetInfo, ExperimentView } from '../../../electron/contract/api.ts';
import { api, errorDataOf } from '../../lib/api.ts';
import type { JobsState } from '../../lib/state/jobs.svelte.ts';

export interface ExperimentForm {
  name: string;
  model: string;
  preset: string;
  scenario: string;
  seeds: string;
  n: number;
  maxTokens: number;
  mirror: boolean;
  variants: string;
  generalisation: string;
  control: string;
  chatTemplate: 'auto' | 'none';
  epochs: number | null;
  pairs: number;
}

export class ExperimentsState {
  readonly #jobs: JobsState;
  presets = $state.raw<ExperimentPresetInfo[]>([]);
  form = $state<ExperimentForm>({
    name: '',
    model: '',
    preset: 'mistral',
    scenario: 'burglar-house',
    seeds: '0, 1, 2, 3, 4',
    n: 250,
    maxTokens: 75,
    mirror: true,
    variants: 'all',
    generalisation: 'treasure-hunt, escape-room',
    control: 'theory-of-mind',
    chatTemplate: 'auto',
    epochs: null,
    pairs: 52,
  });
  jobId = $state<string | null>(null);
  error = $state<string | null>(null);
  result = $state.raw<ExperimentView | null>(null);
  /** Loss points seen so far, per seed. */
  losses = $state.raw<Record<number, { step: number; loss: number }[]>>({});

  constructor(jobs: JobsState) {
    this.#jobs = jobs;
  }

  get progress() {
    return this.#jobs.get(this.jobId)?.progress ?? null;
  }

  get running(): boolean {
    return this.jobId !== null && !this.#jobs.get(this.jobId)?.done;
  }

  async load(): Promise<void> {
    this.presets = await api['experiments.presets']({});
  }

  /** Records the latest loss point (called from an effect on progress). */
  observe(): void {
    const m = this.progress?.metrics;
    if (!m || m.seed === undefined || m.step === undefined || m.loss === undefined) return;
    const list = this.losses[m.seed] ?? [];
    if (list.at(-1)?.step === m.step) return;
    this.losses = { ...this.losses, [m.seed]: [...list, { step: m.step, loss: m.loss }] };
  }

  config(): Record<string, unknown> {
    const f = this.form;
    const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
    return {
      name: f.name,
      model: f.model,
      preset: f.preset,
      scenario: f.scenario,
      seeds: list(f.seeds).map(Number),
      mirror: f.mirror,
      variants: f.variants.trim() === 'all' ? 'all' : list(f.variants),
      generalisation: list(f.generalisation),
      control: f.control.trim() === '' ? null : f.control.trim(),
      evaluation: { n: f.n, maxTokens: f.maxTokens, chatTemplate: f.chatTemplate },
      training: { pairs: f.pairs, ...(f.epochs ? { epochs: f.epochs } : {}) },
      latent: { pairs: f.pairs },
      capability: { perplexityTokens: 64 },
    };
  }

  async start(): Promise<void> {
    this.error = null;
    this.result = null;
    this.losses = {};
    try {
      const { jobId } = await api['experiments.start']({ config: this.config() });
      this.jobId = jobId;
      const { runId } = await this.#jobs.wait<{ runId: string }>(jobId);
      await this.open(runId);
    } catch (error) {
      this.error = errorDataOf(error).message;
    }
  }

  async open(runId: string): Promise<void> {
    this.result = await api['experiments.get']({ runId });
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.#jobs.cancel(this.jobId);
  }
}
