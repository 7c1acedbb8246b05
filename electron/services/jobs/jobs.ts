/**
 * Runs long work as jobs: each gets an id, an AbortController and a progress channel; listeners
 * (the IPC bridge, the harness's event stream, the CLI's progress bar) receive `onJobProgress` and
 * `onJobDone`. A job's function receives `{signal, onProgress}` like every long service operation.
 */
import { randomUUID } from 'node:crypto';
import { SooError, toErrorData } from '../../contract/errors.ts';
import type { ApiEventMessage, JobKind, JobProgress, JobSummary } from '../../contract/events.ts';

export interface JobContext {
  signal: AbortSignal;
  /** Reports progress; `jobId` and `kind` are filled in. */
  onProgress(progress: Omit<JobProgress, 'jobId' | 'kind'>): void;
}

export type JobListener = (message: ApiEventMessage) => void;

interface JobEntry {
  summary: JobSummary;
  controller: AbortController;
  promise: Promise<unknown>;
}

/** How many finished jobs are kept for `list()`. */
const FINISHED_KEPT = 50;

export class JobRunner {
  readonly #jobs = new Map<string, JobEntry>();
  readonly #listeners = new Set<JobListener>();

  /** Subscribes to every job event; returns the unsubscribe function. */
  subscribe(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts `work` and returns its id at once; the result arrives as an `onJobDone` event. */
  start<T>(kind: JobKind, label: string, work: (context: JobContext) => Promise<T>): { jobId: string; done: Promise<T> } {
    const jobId = randomUUID();
    const controller = new AbortController();
    const summary: JobSummary = { jobId, kind, label, state: 'running', startedAt: new Date().toISOString(), last: null };
    const context: JobContext = {
      signal: controller.signal,
      onProgress: (progress) => {
        const full: JobProgress = { jobId, kind, ...progress };
        summary.last = full;
        this.#emit({ name: 'onJobProgress', data: full });
      },
    };
    const done = (async () => {
      await Promise.resolve(); // let the caller receive the id before the first event
      try {
        if (controller.signal.aborted) throw new SooError({ code: 'cancelled', message: `${label} was cancelled` });
        const result = await work(context);
        summary.state = 'done';
        this.#emit({ name: 'onJobDone', data: { jobId, kind, ok: true, result } });
        return result;
      } catch (error) {
        const data = controller.signal.aborted ? { code: 'cancelled' as const, message: `${label} was cancelled` } : toErrorData(error);
        summary.state = data.code === 'cancelled' ? 'cancelled' : 'failed';
        this.#emit({ name: 'onJobDone', data: { jobId, kind, ok: false, error: data } });
        throw error;
      } finally {
        this.#prune();
      }
    })();
    done.catch(() => {}); // failures are reported as events; callers awaiting `done` still see them
    this.#jobs.set(jobId, { summary, controller, promise: done });
    return { jobId, done };
  }

  cancel(jobId: string): boolean {
    const job = this.#jobs.get(jobId);
    if (!job || job.summary.state !== 'running') return false;
    job.controller.abort(new SooError({ code: 'cancelled', message: `${job.summary.label} was cancelled` }));
    return true;
  }

  list(): JobSummary[] {
    return [...this.#jobs.values()].map((j) => ({ ...j.summary }));
  }

  /** Cancels everything still running (app quit, services dispose). */
  cancelAll(): void {
    for (const id of this.#jobs.keys()) this.cancel(id);
  }

  #emit(message: ApiEventMessage): void {
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch {
        // a broken listener must not break the job or the other listeners
      }
    }
  }

  #prune(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.summary.state !== 'running');
    for (const job of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.#jobs.delete(job.summary.jobId);
  }
}
