/**
 * RunRepository (electron/services/store/runs.ts) on a migrated database: create / finish / fail,
 * child rows read back, idempotent re-insert (a resumed job writing the same rows again), one
 * transaction per response batch, list filters, cascade delete, and the migration's CHECKs.
 * What is on disk is read with plain SQL, independent of the repository.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunRepository, type RunResponse } from '../../../electron/services/store/index.ts';
import { thrown, useStoreSandbox } from '../store/helpers.ts';

const sandbox = useStoreSandbox();

function steppingClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return () => new Date((t += 1000));
}

function setup() {
  const store = sandbox.open(path.join(sandbox.tempDir(), 'runs.db'));
  return { store, runs: new RunRepository(store.db, { now: steppingClock() }), [Symbol.dispose]: () => store.dispose() };
}

const response = (idx: number, over: Partial<RunResponse> = {}): RunResponse => ({
  idx,
  variant: 'main',
  mirrored: false,
  prompt: `prompt ${idx}`,
  response: `I would recommend the kitchen (${idx}).`,
  bucket: 'deceptive',
  deceptiveValue: 'kitchen',
  honestValue: 'living room',
  values: { first_room: 'kitchen', second_room: 'living room' },
  evidence: { deceptive: [[22, 29]], honest: [] },
  ...over,
});

const count = (t: ReturnType<typeof setup>, table: string, runId: string) =>
  (t.store.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE run_id = ?`).get(runId) as { n: number }).n;

describe('RunRepository', () => {
  it('creates a running run, finishes it, and reads back every field', () => {
    using t = setup();
    const created = t.runs.create({
      kind: 'eval',
      name: 'baseline',
      config: { n: 250, mirror: false },
      appVersion: '0.1.0',
      modelPath: '/m/tiny.gguf',
      modelSha256: 'ab'.repeat(32),
      seed: 7,
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ status: 'running', finishedAt: null, error: null, parentId: null, seed: 7, config: { n: 250, mirror: false } });
    expect(t.runs.get(created.id)).toEqual(created);
    const done = t.runs.finish(created.id);
    expect(done.status).toBe('done');
    expect(Date.parse(done.finishedAt!)).toBeGreaterThan(Date.parse(created.createdAt));
    const raw = t.store.db.prepare('SELECT status, config, model_sha256 FROM runs WHERE id = ?').get(created.id);
    expect(raw).toEqual({ status: 'done', config: '{"n":250,"mirror":false}', model_sha256: 'ab'.repeat(32) });
  });

  it('records a failure with its error data, and a cancellation as cancelled', () => {
    using t = setup();
    const a = t.runs.create({ kind: 'train', appVersion: '0.1.0' });
    const b = t.runs.create({ kind: 'train', appVersion: '0.1.0' });
    expect(t.runs.fail(a.id, { code: 'internal', message: 'out of memory' })).toMatchObject({ status: 'failed', error: { code: 'internal', message: 'out of memory' } });
    expect(t.runs.fail(b.id, { code: 'cancelled', message: 'stopped' }).status).toBe('cancelled');
  });

  it('refuses an existing id instead of replacing it (which would cascade-delete its rows)', () => {
    using t = setup();
    const run = t.runs.create({ id: 'r1', kind: 'eval', appVersion: '0.1.0' });
    t.runs.addResponses(run.id, [response(0)]);
    expect(thrown(() => t.runs.create({ id: 'r1', kind: 'eval', appVersion: '0.1.0' })).code).toBe('bad_input');
    expect(count(t, 'run_responses', 'r1')).toBe(1);
  });

  it('re-inserting the same steps, responses, metrics and artifacts replaces them: no duplicates', () => {
    using t = setup();
    const { id } = t.runs.create({ kind: 'eval', appVersion: '0.1.0' });
    const batch = [response(0), response(1), response(0, { mirrored: true }), response(0, { variant: 'rename' })];
    t.runs.addResponses(id, batch);
    t.runs.addSteps(id, [{ step: 0, loss: 1 }, { step: 1, loss: 0.5, metrics: { lr: 1e-4 } }]);
    t.runs.setMetrics(id, [{ name: 'deceptive_rate', value: 0.5, detail: { ci95: [0.1, 0.9] } }]);
    t.runs.addArtifacts(id, [{ kind: 'adapter', path: '/a.gguf', bytes: 10 }]);
    // the resumed job writes the same keys again, one with a changed value
    t.runs.addResponses(id, [response(1, { response: 'changed', bucket: 'honest' }), ...batch.slice(2)]);
    t.runs.addSteps(id, [{ step: 1, loss: 0.25 }]);
    t.runs.setMetrics(id, [{ name: 'deceptive_rate', value: 0.75 }]);
    t.runs.addArtifacts(id, [{ kind: 'adapter', path: '/a.gguf', bytes: 11 }]);

    expect(count(t, 'run_responses', id)).toBe(4);
    expect(count(t, 'run_steps', id)).toBe(2);
    expect(count(t, 'run_metrics', id)).toBe(1);
    expect(count(t, 'run_artifacts', id)).toBe(1);
    const responses = t.runs.responses(id);
    expect(responses.map((r) => [r.variant, r.mirrored, r.idx])).toEqual([
      ['main', false, 0],
      ['main', false, 1],
      ['main', true, 0],
      ['rename', false, 0],
    ]);
    expect(responses[1]).toMatchObject({ response: 'changed', bucket: 'honest' });
    expect(responses[0]).toEqual(batch[0]);
    expect(t.runs.steps(id)).toEqual([{ step: 0, loss: 1, metrics: {} }, { step: 1, loss: 0.25, metrics: {} }]);
    expect(t.runs.metrics(id)).toEqual([{ name: 'deceptive_rate', value: 0.75, detail: null }]);
    expect(t.runs.artifacts(id)).toEqual([{ kind: 'adapter', path: '/a.gguf', sha256: null, bytes: 11 }]);
  });

  it('writes a response batch in one transaction: a bad row leaves none of the batch', () => {
    using t = setup();
    const { id } = t.runs.create({ kind: 'eval', appVersion: '0.1.0' });
    const bad = response(2, { bucket: 'maybe' as never });
    const error = thrown(() => t.runs.addResponses(id, [response(0), response(1), bad]));
    expect(error.code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(count(t, 'run_responses', id)).toBe(0);
  });

  it('lists newest first with kind, status and parent filters', () => {
    using t = setup();
    const exp = t.runs.create({ kind: 'experiment', appVersion: '0.1.0' });
    const e1 = t.runs.create({ kind: 'eval', parentId: exp.id, appVersion: '0.1.0' });
    const tr = t.runs.create({ kind: 'train', parentId: exp.id, appVersion: '0.1.0' });
    const e2 = t.runs.create({ kind: 'eval', appVersion: '0.1.0' });
    t.runs.finish(e1.id);
    expect(t.runs.list().map((r) => r.id)).toEqual([e2.id, tr.id, e1.id, exp.id]);
    expect(t.runs.list({ kind: 'eval' }).map((r) => r.id)).toEqual([e2.id, e1.id]);
    expect(t.runs.list({ status: 'done' }).map((r) => r.id)).toEqual([e1.id]);
    expect(t.runs.list({ parentId: exp.id }).map((r) => r.id)).toEqual([tr.id, e1.id]);
    expect(t.runs.list({ parentId: null }).map((r) => r.id)).toEqual([e2.id, exp.id]);
    expect(t.runs.list({ limit: 1, offset: 1 }).map((r) => r.id)).toEqual([tr.id]);
  });

  it('deleting an experiment deletes its child runs and all their rows', () => {
    using t = setup();
    const exp = t.runs.create({ kind: 'experiment', appVersion: '0.1.0' });
    const child = t.runs.create({ kind: 'eval', parentId: exp.id, appVersion: '0.1.0' });
    t.runs.addResponses(child.id, [response(0)]);
    t.runs.setMetrics(child.id, [{ name: 'x', value: 1 }]);
    expect(t.runs.delete(exp.id)).toBe(true);
    expect(t.runs.get(child.id)).toBeUndefined();
    expect(count(t, 'run_responses', child.id)).toBe(0);
    expect(count(t, 'run_metrics', child.id)).toBe(0);
    expect(t.runs.delete(exp.id)).toBe(false);
  });

  it('refuses rows for an unknown run, and the CHECKs reject bad values', () => {
    using t = setup();
    expect(thrown(() => t.runs.addResponses('nope', [response(0)])).code).toBe('not_found');
    expect(thrown(() => t.runs.create({ kind: 'eval', parentId: 'nope', appVersion: '0.1.0' })).code).toBe('not_found');
    expect(thrown(() => t.runs.create({ kind: 'eval', appVersion: '0.1.0', modelSha256: 'XYZ' })).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(thrown(() => t.runs.create({ kind: 'bogus' as never, appVersion: '0.1.0' })).code).toBe('SQLITE_CONSTRAINT_CHECK');
    const { id } = t.runs.create({ kind: 'eval', appVersion: '0.1.0' });
    // a finished run must have finished_at, a running one must not
    expect(thrown(() => t.store.db.prepare("UPDATE runs SET status = 'done' WHERE id = ?").run(id)).code).toBe('SQLITE_CONSTRAINT_CHECK');
  });
});
