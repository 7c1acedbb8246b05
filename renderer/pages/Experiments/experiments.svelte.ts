/**
 * The Experiments page's state: the config form (a preset plus overrides, edited as JSON-able fields),
 * the running job (per-stage progress, loss points per seed from the job's {seed, step, loss} metrics),
 * and the finished experiment's results (experiments.get).
 *
 * The built-in demo model is the default: when the form has no model yet, the demo's ready config
 * (demo.status) fills it once the model is built, and `demoBase` keeps the settings the form has no
 * field for (SOO layer, targets, lr, held-out text ...) for as long as the form's model is the demo's.
 * Not built yet: the page offers the build (a job with progress and cancel; the desktop app starts it
 * on first launch).
 */
import type { DemoStatusView, ExperimentPresetInfo, ExperimentView, TapPointName } from '../../../electron/contract/api.ts';
import { api, errorDataOf } from '../../lib/api.ts';
import { jsonErrorWhere } from '../../lib/jsonWhere.ts';
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
  /** The node of layer L the SOO loss compares (training.point). */
  point: TapPointName;
  /** Weight of the self anchor (experiments/config.ts training.selfAnchor); 0 = off. */
  selfAnchor: number;
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
    point: 'attn_out',
    selfAnchor: 0,
  });
  jobId = $state<string | null>(null);
  error = $state<string | null>(null);
  result = $state.raw<ExperimentView | null>(null);
  /** The built-in demo model: built or not, its build's measurements, its ready config. */
  demo = $state.raw<DemoStatusView | null>(null);
  /** The demo's full config while the form edits it (fields without a form field come from here). */
  demoBase = $state.raw<Record<string, unknown> | null>(null);
  /** The demo build's training loss points seen so far. */
  demoLosses = $state.raw<{ step: number; loss: number }[]>([]);
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
    await this.loadDemo();
  }

  get demoBuild() {
    return this.#jobs.get(this.demo?.buildJobId);
  }

  get demoBuilding(): boolean {
    return !!this.demo?.buildJobId && !this.demoBuild?.done;
  }

  /** Reads the demo's status; an empty form takes its ready config. */
  async loadDemo(): Promise<void> {
    this.demo = await api['demo.status']({});
    if (this.demo.config && this.form.model === '') this.useDemo();
  }

  /** Fills the form with the demo's ready experiment. */
  useDemo(): void {
    const c = this.demo?.config;
    if (!c) return;
    const ev = (c.evaluation ?? {}) as { n?: number; maxTokens?: number; chatTemplate?: 'auto' | 'none' };
    const tr = (c.training ?? {}) as { pairs?: number; epochs?: number; point?: ExperimentForm['point']; selfAnchor?: number };
    const list = (x: unknown) => (Array.isArray(x) ? x.join(', ') : String(x ?? ''));
    Object.assign(this.form, {
      name: String(c.name ?? ''),
      model: String(c.model),
      preset: String(c.preset ?? 'organism'),
      scenario: String(c.scenario ?? ''),
      seeds: list(c.seeds),
      n: ev.n ?? this.form.n,
      maxTokens: ev.maxTokens ?? this.form.maxTokens,
      mirror: c.mirror !== false,
      variants: list(c.variants),
      generalisation: list(c.generalisation),
      control: c.control === null || c.control === undefined ? '' : String(c.control),
      chatTemplate: ev.chatTemplate ?? 'none',
      epochs: tr.epochs ?? null,
      pairs: tr.pairs ?? this.form.pairs,
      point: tr.point ?? 'attn_out',
      selfAnchor: tr.selfAnchor ?? 0,
    } satisfies ExperimentForm);
    this.demoBase = c;
  }

  /** Builds the demo model (or follows the build already running), then fills the form. */
  async buildDemo(): Promise<void> {
    this.error = null;
    try {
      const { jobId } = await api['demo.build']({});
      this.demo = { ...(this.demo ?? (await api['demo.status']({}))), buildJobId: jobId };
      await this.#jobs.wait(jobId);
      await this.loadDemo();
      if (this.form.model === '' || this.form.model === this.demo?.modelPath) this.useDemo();
    } catch (error) {
      this.error = errorDataOf(error).message;
      this.demo = await api['demo.status']({});
    }
  }

  async cancelDemoBuild(): Promise<void> {
    if (this.demo?.buildJobId) await this.#jobs.cancel(this.demo.buildJobId);
  }

  /** Records the demo build's latest loss point (called from an effect on its progress). */
  observeDemo(): void {
    const m = this.demoBuild?.progress?.metrics;
    if (!m || m.step === undefined || m.loss === undefined || this.demoLosses.at(-1)?.step === m.step) return;
    this.demoLosses = [...this.demoLosses, { step: m.step, loss: m.loss }];
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
    // the demo's settings without a form field (layer, lr, held-out text ...) while its model is chosen
    const base = this.demoBase && this.demoBase.model === f.model ? this.demoBase : null;
    const sub = (key: string) => (base?.[key] ?? {}) as Record<string, unknown>;
    return {
      ...(base ?? {}),
      name: f.name,
      model: f.model,
      preset: f.preset,
      scenario: f.scenario,
      seeds: list(f.seeds).map(Number),
      mirror: f.mirror,
      variants: f.variants.trim() === 'all' ? 'all' : list(f.variants),
      generalisation: list(f.generalisation),
      control: f.control.trim() === '' ? null : f.control.trim(),
      evaluation: { ...sub('evaluation'), n: f.n, maxTokens: f.maxTokens, chatTemplate: f.chatTemplate },
      training: { ...sub('training'), pairs: f.pairs, point: f.point, selfAnchor: f.selfAnchor, ...(f.epochs ? { epochs: f.epochs } : {}) },
      latent: { ...sub('latent'), pairs: f.pairs },
      capability: base ? sub('capability') : { perplexityTokens: 64 },
    };
  }

  /** Edit the whole config as JSON (every field of experiments/config.ts, MT-Bench included) instead of the form. */
  jsonMode = $state(false);
  jsonText = $state('');

  /** Switches JSON editing on (seeded from the form's config) or off (the form is used again). */
  setJsonMode(on: boolean): void {
    if (on) this.jsonText = JSON.stringify(this.config(), null, 2);
    this.jsonMode = on;
  }

  /** The config Run submits: the form's, or the JSON text (a syntax error names its line and column). */
  submitted(): unknown {
    if (!this.jsonMode) return this.config();
    try {
      return JSON.parse(this.jsonText);
    } catch (error) {
      throw new Error(`the config JSON: ${jsonErrorWhere(this.jsonText, error as Error)}`);
    }
  }

  async start(): Promise<void> {
    this.error = null;
    this.result = null;
    this.losses = {};
    try {
      const { jobId } = await api['experiments.start']({ config: this.submitted() });
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

