/**
 * Jobs as the renderer sees them: the latest progress and the outcome of each job, fed by the pushed
 * `onJobProgress` / `onJobDone` events (lib/api.ts `onEvent`). Pages start work with an entry that
 * returns `{jobId}` and then `wait(jobId)` for the result, reading `progress(jobId)` for a bar.
 *
 * Events can arrive before the page learns the job id (a fast job finishes before the start call's
 * answer), so every event is kept here by id, whoever asked for it. Shared through a context getter.
 */
import { getContext, setContext } from 'svelte';
import type { JobDone, JobProgress } from '../../../electron/contract/events.ts';
import { api, ApiError, onEvent } from '../api.ts';

export interface JobView {
  jobId: string;
  progress: JobProgress | null;
  done: JobDone | null;
}

/** How many finished jobs are remembered. */
const KEPT = 50;

export class JobsState {
  /** Replaced wholesale on every event (never deep-proxied). */
  #views = $state.raw<Record<string, JobView>>({});
  readonly #waiters = new Map<string, ((done: JobDone) => void)[]>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor() {
    this.#unsubscribe.push(
      onEvent('onJobProgress', (p) => this.#update(p.jobId, { progress: p })),
      onEvent('onJobDone', (d) => {
        this.#update(d.jobId, { done: d });
        for (const resolve of this.#waiters.get(d.jobId) ?? []) resolve(d);
        this.#waiters.delete(d.jobId);
      }),
    );
  }

  get(jobId: string | null | undefined): JobView | undefined {
    return jobId ? this.#views[jobId] : undefined;
  }

  /** Resolves with the job's result, or rejects with an ApiError carrying its error (code 'cancelled' when cancelled). */
  async wait<T>(jobId: string): Promise<T> {
    const done = this.#views[jobId]?.done ?? (await new Promise<JobDone>((resolve) => this.#waiters.set(jobId, [...(this.#waiters.get(jobId) ?? []), resolve])));
    if (!done.ok) throw new ApiError(done.error ?? { code: 'internal', message: 'the job failed without an error' });
    return done.result as T;
  }

  async cancel(jobId: string): Promise<boolean> {
    return (await api['jobs.cancel']({ jobId })).cancelled;
  }

  dispose(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #update(jobId: string, patch: Partial<JobView>): void {
    const previous = this.#views[jobId] ?? { jobId, progress: null, done: null };
    const next = { ...this.#views, [jobId]: { ...previous, ...patch } };
    const ids = Object.keys(next);
    if (ids.length > KEPT) {
      for (const id of ids.slice(0, ids.length - KEPT)) if (next[id]!.done) delete next[id];
    }
    this.#views = next;
  }
}

const KEY = Symbol('jobs');

export function setJobs(jobs: JobsState): JobsState {
  return setContext(KEY, jobs);
}

export function getJobs(): JobsState {
  const jobs = getContext<JobsState | undefined>(KEY);
  if (!jobs) throw new Error('getJobs() called outside <App>');
  return jobs;
}
