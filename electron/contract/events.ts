/**
 * Events pushed from the services to the renderer. Long work returns a job id at once; progress and
 * completion arrive as `onJobProgress` / `onJobDone` carrying that id; `jobs.cancel` ends the job.
 * Delivered over IPC in Electron and as Server-Sent Events (GET /api/events) in the browser harness.
 */
import type { ErrorData } from './errors.ts';

export type JobKind = 'latent' | 'tokenCounts' | 'taps' | 'train' | 'eval' | 'experiment' | 'download' | 'demo' | 'rl';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** A short name of the current stage ("tokenize", "layer 3/12", "seed 2: train"). */
  stage: string;
  /** Work done so far in `unit`s, and the total when known; a bar shows done/total. */
  done: number;
  total: number | null;
  unit: string;
  /** Optional numbers a live chart plots (e.g. {step, loss}); keys are stable per job kind. */
  metrics?: Record<string, number>;
}

export interface JobDone {
  jobId: string;
  kind: JobKind;
  ok: boolean;
  /** The job's result when ok (the same shape the matching synchronous call would return). */
  result?: unknown;
  error?: ErrorData;
}

export interface JobSummary {
  jobId: string;
  kind: JobKind;
  label: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: string;
  last: JobProgress | null;
}

/** Every pushed event by name; the renderer subscribes with `onEvent(name, handler)`. */
export interface ApiEvents {
  onJobProgress: JobProgress;
  onJobDone: JobDone;
}

export type ApiEventName = keyof ApiEvents;
export const apiEventNames: ApiEventName[] = ['onJobProgress', 'onJobDone'];

/** The IPC channel every event travels on; the payload is {name, data}. */
export const EVENT_CHANNEL = 'soo:event';

export interface ApiEventMessage<N extends ApiEventName = ApiEventName> {
  name: N;
  data: ApiEvents[N];
}
