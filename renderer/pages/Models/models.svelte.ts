/**
 * State of the Models page: the library (models folder + files opened by path + unfinished
 * downloads), the model whose facts are shown, GPU offload (backend, setting, what 'auto' picks for
 * the shown model), and one download at a time as a job (progress in bytes, cancel keeps the part).
 * "Current" is the front of the recent-models list that the Activations and Train pickers
 * start from.
 */
import type { DownloadedModelInfo, GpuOffloadView, ModelFileInfo, ModelLibraryView } from '../../../electron/contract/api.ts';
import type { ErrorData } from '../../../electron/contract/errors.ts';
import { api, errorDataOf, eventsReady } from '../../lib/api.ts';
import type { JobsState } from '../../lib/state/jobs.svelte.ts';
import type { RecentModels } from '../../lib/state/recentModels.svelte.ts';

export class ModelsState {
  library = $state.raw<ModelLibraryView | null>(null);
  /** The model whose facts are shown. */
  shown = $state.raw<ModelFileInfo | null>(null);
  openPath = $state('');
  openError = $state.raw<ErrorData | null>(null);
  gpu = $state.raw<GpuOffloadView | null>(null);
  gpuError = $state.raw<ErrorData | null>(null);
  /** The manual layer count the user typed (used when the setting is manual). */
  manualLayers = $state(0);

  download = $state({ source: '', fileName: '', sha256: '', token: '' });
  downloadJob = $state<string | null>(null);
  downloadError = $state.raw<ErrorData | null>(null);
  downloaded = $state.raw<DownloadedModelInfo | null>(null);

  readonly #jobs: JobsState;
  readonly #recent: RecentModels;
  #manualSet = false;
  /** The open in flight, by path: Enter, leaving the field and the Open button all commit, once. */
  #opening = new Map<string, Promise<void>>();

  constructor(jobs: JobsState, recent: RecentModels) {
    this.#jobs = jobs;
    this.#recent = recent;
    this.openPath = recent.paths[0] ?? '';
  }

  /** The current model: the one the other pages' pickers start from. */
  get current(): string | null {
    return this.#recent.paths[0] ?? null;
  }

  get downloadProgress() {
    return this.#jobs.get(this.downloadJob)?.progress ?? null;
  }

  async load(): Promise<void> {
    await Promise.all([this.refresh(), this.loadGpu()]);
    if (this.openPath) await this.open(this.openPath, { quiet: true });
  }

  async refresh(): Promise<void> {
    try {
      this.library = await api['models.library']({});
    } catch (error) {
      this.openError = errorDataOf(error);
    }
  }

  async loadGpu(modelPath?: string): Promise<void> {
    try {
      this.gpu = await api['models.gpu']({ ...(modelPath ? { modelPath } : {}) });
      this.gpuError = null;
      // the manual field starts from the recorded count, else from what auto picks; never overwrites what the user typed
      if (!this.#manualSet) {
        if (typeof this.gpu.setting === 'number') [this.manualLayers, this.#manualSet] = [this.gpu.setting, true];
        else if (this.gpu.auto) [this.manualLayers, this.#manualSet] = [this.gpu.auto.gpuLayers, true];
      }
    } catch (error) {
      this.gpuError = errorDataOf(error);
    }
  }

  /** Opens a GGUF by path and shows its facts; `quiet` leaves no error (a stale remembered path). */
  open(path: string, options: { quiet?: boolean } = {}): Promise<void> {
    const p = path.trim();
    if (!p) return Promise.resolve();
    const pending = this.#opening.get(p);
    if (pending) return pending;
    const job = this.#open(p, options).finally(() => this.#opening.delete(p));
    this.#opening.set(p, job);
    return job;
  }

  async #open(p: string, options: { quiet?: boolean }): Promise<void> {
    this.openError = null;
    try {
      this.shown = await api['models.open']({ path: p });
      this.openPath = this.shown.path;
      await Promise.all([this.refresh(), this.loadGpu(this.shown.path)]);
    } catch (error) {
      if (!options.quiet) this.openError = errorDataOf(error);
    }
  }

  /** Shows a library entry's facts without re-reading it. */
  async show(model: ModelFileInfo): Promise<void> {
    this.shown = model;
    this.openPath = model.path;
    await this.loadGpu(model.path);
  }

  /** Makes `path` the current model (front of the recent list). */
  select(path: string): void {
    this.#recent.remember(path);
  }

  async forget(path: string): Promise<void> {
    await api['models.forget']({ path });
    if (this.shown?.path === path) this.shown = null;
    await this.refresh();
  }

  async setGpuLayers(value: 'auto' | number): Promise<void> {
    try {
      const view = await api['models.setGpuLayers']({ gpuLayers: value });
      this.gpu = { ...view, auto: this.gpu?.auto ?? null };
      this.gpuError = null;
    } catch (error) {
      this.gpuError = errorDataOf(error);
    }
  }

  /** Starts a download (or continues an unfinished one of the same source); resolves when it ends. */
  async startDownload(source = this.download.source): Promise<void> {
    const d = this.download;
    this.downloadError = null;
    this.downloaded = null;
    try {
      await eventsReady();
      const { jobId } = await api['models.download']({
        source: source.trim(),
        ...(d.fileName.trim() && source === d.source ? { fileName: d.fileName.trim() } : {}),
        ...(d.sha256.trim() && source === d.source ? { sha256: d.sha256.trim() } : {}),
        ...(d.token.trim() ? { token: d.token.trim() } : {}),
      });
      this.downloadJob = jobId;
      this.downloaded = await this.#jobs.wait<DownloadedModelInfo>(jobId);
      await this.open(this.downloaded.path);
    } catch (error) {
      const data = errorDataOf(error);
      this.downloadError = data.code === 'cancelled' ? null : data;
    } finally {
      this.downloadJob = null;
      await this.refresh();
    }
  }

  async cancelDownload(): Promise<void> {
    if (this.downloadJob) await this.#jobs.cancel(this.downloadJob);
  }

  async discardPartial(fileName: string): Promise<void> {
    await api['models.discardPartial']({ fileName });
    await this.refresh();
  }
}
