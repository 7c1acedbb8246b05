import { describe, expect, it } from 'vitest';
import type { ApiEventMessage } from '../../electron/contract/events.ts';
import { JobRunner } from '../../electron/services/jobs/jobs.ts';

describe('JobRunner', () => {
  it('returns an id at once, streams progress, then reports the result', async () => {
    const jobs = new JobRunner();
    const events: ApiEventMessage[] = [];
    jobs.subscribe((m) => events.push(m));
    const { jobId, done } = jobs.start('latent', 'two steps', async ({ onProgress }) => {
      onProgress({ stage: 'a', done: 1, total: 2, unit: 'layers' });
      onProgress({ stage: 'b', done: 2, total: 2, unit: 'layers' });
      return { answer: 42 };
    });
    expect(events).toHaveLength(0); // nothing before the caller has the id
    await expect(done).resolves.toEqual({ answer: 42 });
    expect(events.map((e) => e.name)).toEqual(['onJobProgress', 'onJobProgress', 'onJobDone']);
    expect(events.every((e) => e.data.jobId === jobId)).toBe(true);
    expect(events[2]?.data).toMatchObject({ ok: true, result: { answer: 42 } });
    expect(jobs.list()[0]).toMatchObject({ jobId, state: 'done', last: { stage: 'b', done: 2 } });
  });

  it('cancel aborts the signal and reports a cancelled job', async () => {
    const jobs = new JobRunner();
    const done: ApiEventMessage[] = [];
    jobs.subscribe((m) => m.name === 'onJobDone' && done.push(m));
    const started = jobs.start('train', 'waits for abort', ({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    expect(jobs.cancel(started.jobId)).toBe(true);
    await expect(started.done).rejects.toThrow(/cancelled/);
    expect(done[0]?.data).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(jobs.cancel(started.jobId)).toBe(false); // already finished
    expect(jobs.list()[0]?.state).toBe('cancelled');
  });

  it('a failing job reports its error data and a throwing listener does not break the others', async () => {
    const jobs = new JobRunner();
    const seen: ApiEventMessage[] = [];
    jobs.subscribe(() => {
      throw new Error('listener bug');
    });
    jobs.subscribe((m) => seen.push(m));
    const { done } = jobs.start('eval', 'fails', async () => {
      throw new Error('boom');
    });
    await expect(done).rejects.toThrow('boom');
    expect(seen.at(-1)?.data).toMatchObject({ ok: false, error: { code: 'internal', message: 'boom' } });
  });
});
