/**
 * The Models page's service: the library (models folder + files opened by path), downloads into the
 * models folder as jobs (progress in bytes, cancel keeps the part so the next download of the same
 * source continues it), unfinished downloads, and the GPU offload setting.
 */
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { DownloadedModelInfo, ModelFileInfo, ModelLibraryView } from '../../contract/models.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { discardPartialDownload, downloadModel, listPartialDownloads } from './download.ts';
import { GpuOffload } from './gpuOffload.ts';
import { ModelLibrary } from './modelLibrary.ts';
import { readGgufHeader } from './modelFile.ts';

export interface ModelsServiceOptions {
  db: Database;
  jobs: JobRunner;
  /** The models folder (downloads go here). */
  modelsDir: string;
  /** The Hugging Face base URL (tests). */
  hfEndpoint?: string;
}

export interface DownloadRequest {
  source: string;
  fileName?: string;
  sha256?: string;
  /** A Hugging Face access token (gated repos): sent as a bearer token, not stored. */
  token?: string;
}

export class ModelsService {
  readonly library: ModelLibrary;
  readonly gpu: GpuOffload;
  readonly #jobs: JobRunner;
  readonly #hfEndpoint: string | undefined;

  constructor(options: ModelsServiceOptions) {
    this.library = new ModelLibrary({ db: options.db, modelsDir: options.modelsDir });
    this.gpu = new GpuOffload(options.db);
    this.#jobs = options.jobs;
    this.#hfEndpoint = options.hfEndpoint;
  }

  get modelsDir(): string {
    return this.library.modelsDir;
  }

  async view(): Promise<ModelLibraryView> {
    const [models, partial] = await Promise.all([this.library.list(), listPartialDownloads(this.modelsDir)]);
    return { modelsDir: this.modelsDir, models, partial };
  }

  /** A GGUF by path: checked (bad_input naming the file otherwise); one outside the models folder is remembered. */
  async open(file: string): Promise<ModelFileInfo> {
    const absolute = path.resolve(file);
    if (path.dirname(absolute) === this.modelsDir) {
      const info = await this.library.info(absolute);
      if (info.error) await readGgufHeader(absolute); // throws bad_input naming the file and the problem
      return info;
    }
    return this.library.addExternal(absolute);
  }

  /** Forgets a file opened by path (the file stays where it is). */
  forget(file: string): { removed: boolean } {
    return { removed: this.library.removeExternal(file) };
  }

  /** Downloads as a job ('download', progress in bytes); the result is a DownloadedModelInfo. */
  startDownload({ token, ...request }: DownloadRequest): { jobId: string } {
    const { jobId } = this.#jobs.start<DownloadedModelInfo>('download', `Download ${request.source}`, ({ signal, onProgress }) =>
      downloadModel({
        ...request,
        ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}),
        modelsDir: this.modelsDir,
        signal,
        hfEndpoint: this.#hfEndpoint,
        onProgress: (p) => onProgress({ stage: 'download', done: p.bytesDone, total: p.totalBytes > 0 ? p.totalBytes : null, unit: 'bytes' }),
      }),
    );
    return { jobId };
  }

  /** Deletes an unfinished download. */
  async discardPartial(fileName: string): Promise<{ discarded: boolean }> {
    return { discarded: await discardPartialDownload(this.modelsDir, fileName) };
  }
}
