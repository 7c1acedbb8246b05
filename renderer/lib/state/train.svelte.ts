/**
 * The Train page: the form (model, pack pairs, preset or custom settings), the running training job
 * (live loss curve from onJobProgress metrics {step, loss}, progress with ETA), Cancel / Resume, and the
 * hand-off of a finished adapter to the Activations page (lib/state/handoff.ts).
 * Does not: validate beyond what the form needs (the service checks and answers with bad_input).
 */
import { getContext, setContext } from 'svelte';
import type { ModelSummary, PackSummary, TapPointName, TrainJobResult, TrainPresetInfo } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import type { JobProgress } from '../../../electron/contract/events.ts';
import { api, errorDataOf } from '../api.ts';
import type { JobsState } from './jobs.svelte.ts';
import type { RecentModels } from './recentModels.svelte.ts';

export interface TrainForm {
  modelPath: string;
  packId: string;
  n: number;
  pairsSeed: number;
  /** A preset name, or '' for custom settings. */
  preset: string;
  layer: number;
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  positions: 'full' | 'last' | 'mean';
  /** The node of layer L the loss compares (attn_out = published). */
  point: TapPointName;
  /** Self anchor weight (0 = off, the published objective). */
  selfAnchor: number;
  seed: number;
}

export class TrainState {
  form = $state<TrainForm>({ modelPath: '', packId: '', n: 52, pairsSeed: 0, preset: '', layer: 0, rank: 8, alpha: 32, dropout: 0.2, lr: 1e-4, epochs: 15, batch: 4, positions: 'full', point: 'attn_out', selfAnchor: 0, seed: 0 });
  presets = $state.raw<TrainPresetInfo[]>([]);
  packs = $state.raw<PackSummary[]>([]);
  model = $state.raw<ModelSummary | null>(null);
  modelError = $state.raw<ErrorData | null>(null);

  jobId = $state<string | null>(null);
  runId = $state<string | null>(null);
  /**
   * Loss per step of the current (or last) job; a resumed run keeps the earlier points. `anchor` (the self
   * anchor, before its weight) when the run has one, from the live metrics.
   */
  losses = $state.raw<{ step: number; loss: number; anchor?: number }[]>([]);
  /** The tapped node of the run `losses` belong to (the form may have changed since it started). */
  lossPoint = $state<TapPointName>('attn_out');
  result = $state.raw<TrainJobResult | null>(null);
  error = $state.raw<ErrorData | null>(null);
  notice = $state<string | null>(null);
  /** The run that can be resumed (cancelled or failed), or null. */
  resumable = $state<string | null>(null);

  readonly #jobs: JobsState;
  readonly #recent: RecentModels;

  constructor(jobs: JobsState, recent: RecentModels) {
    this.#jobs = jobs;
    this.#recent = recent;
    this.form.modelPath = recent.paths[0] ?? '';
  }

  get progress(): JobProgress | null {
    const view = this.#jobs.get(this.jobId);
    return view && !view.done ? view.progress : null;
  }

  get running(): boolean {
    return this.jobId !== null && !this.#jobs.get(this.jobId)?.done;
  }

  /** Loss points: the job's live metrics appended to what is already drawn. */
  observe(): void {
    const m = this.progress?.metrics;
    if (!m || m.step === undefined || m.loss === undefined) return;
    const last = this.losses.at(-1);
    if (last && last.step >= m.step) return;
    this.losses = [...this.losses, { step: m.step, loss: m.loss, ...(m.anchor !== undefined ? { anchor: m.anchor } : {}) }];
  }

  async load(): Promise<void> {
    try {
      [this.presets, this.packs] = await Promise.all([api['train.presets']({}), api['scenarios.list']({})]);
      if (!this.form.packId) this.form.packId = this.packs.find((p) => p.kind === 'deception')?.id ?? this.packs[0]?.id ?? '';
    } catch (error) {
      this.error = errorDataOf(error);
    }
    if (this.form.modelPath) await this.inspect();
  }

  async inspect(): Promise<void> {
    const path = this.form.modelPath.trim();
    if (!path) return;
    try {
      this.model = await api['models.inspect']({ path });
      this.modelError = null;
      this.#recent.remember(this.model.path);
      if (!this.form.preset) this.form.layer = Math.min(this.form.layer, this.model.layers - 1);
    } catch (error) {
      this.model = null;
      this.modelError = errorDataOf(error);
    }
  }

  /** Copies a preset's numbers into the form (custom edits start from them). */
  applyPreset(name: string): void {
    this.form.preset = name;
    const p = this.presets.find((x) => x.name === name);
    if (!p) return;
    Object.assign(this.form, { layer: p.layer, rank: p.rank, alpha: p.alpha, dropout: p.dropout, lr: p.lr, epochs: p.epochs, batch: p.batch, positions: p.positions });
  }

  async start(): Promise<void> {
    const f = this.form;
    this.#reset();
    this.lossPoint = f.point;
    try {
      const { jobId, runId } = await api['train.start']({
        modelPath: f.modelPath.trim(),
        packId: f.packId,
        set: 'train',
        n: f.n,
        pairsSeed: f.pairsSeed,
        layer: f.layer,
        rank: f.rank,
        alpha: f.alpha,
        dropout: f.dropout,
        lr: f.lr,
        epochs: f.epochs,
        batch: f.batch,
        positions: f.positions,
        point: f.point,
        selfAnchor: f.selfAnchor,
        seed: f.seed,
        ...(f.preset ? { preset: f.preset } : {}),
      });
      await this.#follow(jobId, runId);
    } catch (error) {
      this.error = errorDataOf(error);
    }
  }

  async resume(): Promise<void> {
    const runId = this.resumable;
    if (!runId) return;
    this.error = null;
    this.notice = null;
    this.result = null;
    try {
      const { jobId } = await api['train.resume']({ runId });
      // the curve continues: drop points the resumed run will report again
      await this.#follow(jobId, runId, true);
    } catch (error) {
      this.error = errorDataOf(error);
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId) await this.#jobs.cancel(this.jobId);
  }

  #reset(): void {
    this.error = null;
    this.notice = null;
    this.result = null;
    this.losses = [];
    this.resumable = null;
  }

  async #follow(jobId: string, runId: string, resumed = false): Promise<void> {
    this.jobId = jobId;
    this.runId = runId || null;
    this.resumable = null;
    try {
      const result = await this.#jobs.wait<TrainJobResult>(jobId);
      this.result = result;
      const anchors = new Map(this.losses.map((p) => [p.step, p.anchor]));
      this.losses = result.losses.map((loss, i) => {
        const anchor = anchors.get(i + 1);
        return { step: i + 1, loss, ...(anchor !== undefined ? { anchor } : {}) };
      });
      this.notice = resumed ? 'Resumed run finished.' : null;
    } catch (error) {
      const data = errorDataOf(error);
      if (data.code === 'cancelled') this.notice = `Cancelled after step ${this.losses.at(-1)?.step ?? 0}; a checkpoint was kept.`;
      else this.error = data;
      this.resumable = this.runId;
    }
  }
}

const KEY = Symbol('train');

export function setTrain(state: TrainState): TrainState {
  return setContext(KEY, state);
}

export function getTrain(): TrainState {
  const state = getContext<TrainState | undefined>(KEY);
  if (!state) throw new Error('getTrain() called outside the Train page');
  return state;
}
