/**
 * RunRepository.reopen: a stopped run (failed, cancelled, done) becomes `running` again with its
 * error and finished_at cleared and every other column and child row untouched; a running run is
 * left as it is; a kind that does not match is refused (bad_input) and an unknown id is not_found,
 * both without writing anything.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { RunRepository } from '../../../electron/services/store/runs.ts';
import { useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();

describe('RunRepository.reopen', () => {
  it('makes a failed run running again, clearing only status, error and finished_at', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'reopen.db'));
    let tick = 0;
    const runs = new RunRepository(store.db, { now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)) });
    const run = runs.create({ kind: 'experiment', name: 'e', config: { seeds: [1] }, appVersion: 't', seed: 1, modelPath: '/m.gguf' });
    runs.addSteps(run.id, [{ step: 1, loss: 0.5 }]);
    runs.setMetrics(run.id, [{ name: 'm', value: 2 }]);
    const failed = runs.fail(run.id, { code: 'internal', message: 'killed' });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'internal', message: 'killed' } });
    expect(failed.finishedAt).not.toBeNull();

    const reopened = runs.reopen(run.id, 'experiment');
    expect(reopened).toEqual({ ...failed, status: 'running', error: null, finishedAt: null });
    expect(runs.steps(run.id)).toEqual([{ step: 1, loss: 0.5, metrics: {} }]);
    expect(runs.metrics(run.id)).toEqual([{ name: 'm', value: 2, detail: null }]);

    // running already: returned unchanged; done and cancelled runs reopen too
    expect(runs.reopen(run.id)).toEqual(reopened);
    runs.finish(run.id);
    expect(runs.reopen(run.id).status).toBe('running');
    runs.fail(run.id, { code: 'cancelled', message: 'stop' });
    expect(runs.get(run.id)!.status).toBe('cancelled');
    expect(runs.reopen(run.id).status).toBe('running');
  });

  it('refuses another kind and an unknown id without writing', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'refuse.db'));
    const runs = new RunRepository(store.db);
    const run = runs.create({ kind: 'rl', name: 'r', config: {}, appVersion: 't' });
    const failed = runs.fail(run.id, { code: 'internal', message: 'x' });
    const wrongKind = (() => {
      try {
        runs.reopen(run.id, 'experiment');
      } catch (error) {
        return error as SooError;
      }
    })();
    expect(wrongKind).toBeInstanceOf(SooError);
    expect(wrongKind!.code).toBe('bad_input');
    expect(wrongKind!.message).toContain(`run ${run.id} is a rl run, not experiment`);
    expect(runs.get(run.id)).toEqual(failed);
    expect(() => runs.reopen('no-such-run')).toThrow(/no run with id "no-such-run"/);
  });
});
