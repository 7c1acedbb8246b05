/**
 * The Activations page: the form (model, pack, N, seed, positions, tap point, adapter), the running
 * latent SOO job, its result, the per-token view of one pair, and exports.
 *
 * Results are `$state.raw` (replaced wholesale, never deep-proxied). The model summary follows the path
 * field (`inspect`); a path that inspects cleanly goes to the recent list. A result belongs to the
 * job that computed it: a new Compute clears the per-token view.
 */
import { getContext, setContext } from 'svelte';
import type { ExportText, LatentResult, ModelSummary, PackSummary, PerTokenResult, PositionsName, TapPointName } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import type { JobProgress } from '../../../electron/contract/events.ts';
import { takeActivationsHandoff } from './handoff.ts';
import { api, errorDataOf, eventsReady } from '../api.ts';
import type { JobsState } from './jobs.svelte.ts';
import type { RecentModels } from './recentModels.svelte.ts';

export interface ActivationsForm {
  modelPath: string;
  packId: string;
  n: number;
  seed: number;
  positions: PositionsName;
  point: TapPointName;
  adapterPath: string;
  adapterScale: number;
}

export class ActivationsState {
  form = $state<ActivationsForm>({ modelPath: '', packId: '', n: 16, seed: 0, positions: 'full', point: 'attn_out', adapterPath: '', adapterScale: 1 });
  packs = $state.raw<PackSummary[]>([]);
  model = $state.raw<ModelSummary | null>(null);
  modelError = $state.raw<ErrorData | null>(null);
  inspecting = $state(false);

  jobId = $state<string | null>(null);
  result = $state.raw<LatentResult | null>(null);
  error = $state.raw<ErrorData | null>(null);
  /** A short line about the last job that is not an error (a cancelled job). */
  notice = $state<string | null>(null);

  pairIndex = $state<number | null>(null);
  perToken = $state.raw<PerTokenResult | null>(null);
  perTokenBusy = $state(false);
  perTokenError = $state.raw<ErrorData | null>(null);

  readonly #jobs: JobsState;
  readonly #recent: RecentModels;
  #inspectRequest = 0;

  constructor(jobs: JobsState, recent: RecentModels) {
    this.#jobs = jobs;
    this.#recent = recent;
    this.form.modelPath = recent.paths[0] ?? '';
    const handoff = takeActivationsHandoff(); // the Train page's "Compare in Activations"
    if (handoff) Object.assign(this.form, { modelPath: handoff.modelPath, adapterPath: handoff.adapterPath, adapterScale: 1 });
  }

  /** The running job's latest progress, or null. (Getters: they read the jobs state given to the constructor.) */
  get progress(): JobProgress | null {
    const view = this.#jobs.get(this.jobId);
    return view && !view.done ? view.progress : null;
  }

  get running(): boolean {
    return this.jobId !== null && !this.#jobs.get(this.jobId)?.done;
  }

  get canCompute(): boolean {
    return !this.running && this.model !== null && this.form.packId !== '';
  }

  async loadPacks(): Promise<void> {
    try {
      this.packs = await api['scenarios.list']({});
      if (!this.form.packId) this.form.packId = this.packs.find((p) => p.kind === 'deception')?.id ?? this.packs[0]?.id ?? '';
    } catch (error) {
      this.error = errorDataOf(error);
    }
  }

  /** Reads the model's header; only the answer to the latest request is kept. */
  async inspect(): Promise<void> {
    const path = this.form.modelPath.trim();
    const request = ++this.#inspectRequest;
    if (!path) {
      this.model = null;
      this.modelError = null;
      return;
    }
    this.inspecting = true;
    try {
      const model = await api['models.inspect']({ path });
      if (request !== this.#inspectRequest) return;
      this.model = model;
      this.modelError = null;
      this.#recent.remember(model.path);
    } catch (error) {
      if (request !== this.#inspectRequest) return;
      this.model = null;
      this.modelError = errorDataOf(error);
    } finally {
      if (request === this.#inspectRequest) this.inspecting = false;
    }
  }

  async compute(): Promise<void> {
    if (!this.model || this.running) return;
    const f = this.form;
    this.error = null;
    this.notice = null;
    try {
      await eventsReady(); // the job's events must not start before we can hear them
      const adapterPath = f.adapterPath.trim();
      const { jobId } = await api['activations.latentStart']({
        modelPath: this.model.path,
        packId: f.packId,
        set: 'probe',
        n: clampInt(f.n, 1, 500, 16),
        seed: clampInt(f.seed, 0, 2 ** 31 - 1, 0),
        positions: f.positions,
        point: f.point,
        ...(adapterPath ? { adapterPath, adapterScale: Number.isFinite(f.adapterScale) ? f.adapterScale : 1 } : {}),
      });
      this.jobId = jobId;
      const result = await this.#jobs.wait<LatentResult>(jobId);
      if (this.jobId !== jobId) return;
      this.result = result;
      this.pairIndex = null;
      this.perToken = null;
      this.perTokenError = null;
    } catch (error) {
      const data = errorDataOf(error);
      if (data.code === 'cancelled') this.notice = `Cancelled.${this.result ? ' The previous result is still shown.' : ''}`;
      else this.error = data;
    }
  }

  async cancel(): Promise<void> {
    if (this.jobId && this.running) await this.#jobs.cancel(this.jobId);
  }

  /** Opens the per-token view of one pair of the current result. */
  async openPair(index: number): Promise<void> {
    const result = this.result;
    if (!result?.jobId) return;
    this.pairIndex = index;
    this.perTokenBusy = true;
    this.perTokenError = null;
    try {
      const perToken = await api['activations.perToken']({ jobId: result.jobId, pairIndex: index });
      if (this.pairIndex !== index || this.result !== result) return;
      this.perToken = perToken;
    } catch (error) {
      if (this.pairIndex === index) {
        this.perToken = null;
        this.perTokenError = errorDataOf(error);
      }
    } finally {
      if (this.pairIndex === index) this.perTokenBusy = false;
    }
  }

  /** The numbers as CSV or JSON text with a file name (the page saves it as a download). */
  async exportAs(format: 'csv' | 'json'): Promise<ExportText | null> {
    const jobId = this.result?.jobId;
    if (!jobId) return null;
    try {
      return await api['activations.export']({ jobId, format });
    } catch (error) {
      this.error = errorDataOf(error);
      return null;
    }
  }
}

function clampInt(value: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

const KEY = Symbol('activations');

export function setActivations(state: ActivationsState): ActivationsState {
  return setContext(KEY, state);
}

export function getActivations(): ActivationsState {
  const state = getContext<ActivationsState | undefined>(KEY);
  if (!state) throw new Error('getActivations() called outside the Activations page');
  return state;
}
