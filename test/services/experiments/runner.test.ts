/**
 * ExperimentRunner with fake backends (no model): the stage plan, what a run stores, seed aggregation
 * (checked against a recomputation from the stored child rows), and resume after a "kill" at several
 * points, compared row by row with an uninterrupted run of the same config.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveExperimentConfig, type ExperimentConfig } from '../../../electron/services/experiments/config.ts';
import { planStages, type ResolvedPacks } from '../../../electron/services/experiments/plan.ts';
import { ExperimentRunner } from '../../../electron/services/experiments/runner.ts';
import { ScenarioService } from '../../../electron/services/scenarios/service.ts';
import { openDatabase, PackRepository, RunRepository, type Store } from '../../../electron/services/store/index.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { fakeBackends } from './fakes.ts';

let dir: string;
const stores: Store[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-exp-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(name: string): { store: Store; runs: RunRepository; packs: ResolvedPacks } {
  const store = openDatabase(path.join(dir, name));
  stores.push(store);
  const scenarios = new ScenarioService({ packs: new PackRepository(store.db), builtinDir: path.join(RESOURCES_DIR, 'scenarios') });
  return {
    store,
    runs: new RunRepository(store.db),
    packs: { main: scenarios.resolve('burglar-house'), generalisation: [scenarios.resolve('treasure-hunt')], control: scenarios.resolve('theory-of-mind') },
  };
}

function config(): ExperimentConfig {
  return resolveExperimentConfig({
    model: 'tiny.gguf',
    preset: 'tiny',
    seeds: [3, 7],
    variants: ['rename'],
    generalisation: ['treasure-hunt'],
    evaluation: { n: 6 },
    training: { pairs: 4, epochs: 2, batch: 2 },
    latent: { pairs: 4 },
  });
}

function runner(db: ReturnType<typeof open>, crashAt: { kind: string; count: number } | null, artifactsDir: string): ExperimentRunner {
  return new ExperimentRunner({
    runs: db.runs,
    db: db.store.db,
    appVersion: 't',
    backends: fakeBackends(db.runs, crashAt),
    packs: db.packs,
    modelPath: '/m/tiny.gguf',
    modelSha256: 'a'.repeat(64),
    hashFile: async (f) => createHash('sha256').update(fs.readFileSync(f)).digest('hex'),
    artifactsDir,
    heldoutText: 'text',
  });
}

/** Everything an experiment stored, with run ids replaced by stage names (ids differ between databases). */
function dump(runs: RunRepository, id: string) {
  const children = runs.list({ parentId: id, limit: 10_000 }).sort((a, b) => a.name.localeCompare(b.name));
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'runId' ? undefined : x)));
  return {
    status: runs.get(id)!.status,
    metrics: strip(runs.metrics(id)),
    children: children.map((c) => ({
      name: c.name,
      status: c.status,
      seed: c.seed,
      adapter: c.adapterPath ? path.basename(c.adapterPath) : null,
      steps: runs.steps(c.id),
      responses: runs.responses(c.id),
      metrics: runs.metrics(c.id).filter((m) => m.name !== 'seconds'), // timings differ between runs
      artifacts: runs.artifacts(c.id).map((a) => ({ ...a, path: path.basename(a.path) })),
    })),
  };
}

describe('ExperimentRunner', () => {
  it('plans baseline (with honesty prompt) then train + evals + latent + perplexity per seed', () => {
    const db = open('plan.db');
    const keys = planStages(config(), db.packs).map((s) => s.key);
    const evals = ['burglar-house/main', 'burglar-house/main/mirror', 'burglar-house/self', 'burglar-house/self/mirror', 'burglar-house/rename', 'treasure-hunt/main', 'theory-of-mind/main'];
    expect(keys).toEqual([
      ...evals.map((e) => `baseline: eval ${e}`),
      'baseline: eval burglar-house/main/honesty-prompt',
      'baseline: latent',
      'baseline: perplexity',
      ...[3, 7].flatMap((s) => [`seed ${s}: train`, ...evals.map((e) => `seed ${s}: eval ${e}`), `seed ${s}: latent`, `seed ${s}: perplexity`]),
    ]);
  });

  it('stores every stage and aggregates seeds as mean and population SD of the stored per-seed rates', async () => {
    const db = open('full.db');
    const summary = await runner(db, null, path.join(dir, 'a')).run(config());
    expect(summary.run.status).toBe('done');
    expect(summary.children).toHaveLength(planStages(config(), db.packs).length);
    expect(summary.finishedSeeds).toEqual([3, 7]);
    for (const sc of summary.scenarios) {
      // independent recomputation from the stored responses of each seed's eval run
      const perSeed = sc.afterRuns.map(({ runId }) => {
        const rs = db.runs.responses(runId);
        return rs.filter((r) => r.bucket === 'deceptive').length / rs.length;
      });
      const m = (perSeed[0]! + perSeed[1]!) / 2;
      expect(sc.after!.deceptive.mean).toBeCloseTo(m, 12);
      expect(sc.after!.deceptive.sd).toBeCloseTo(Math.abs(perSeed[0]! - perSeed[1]!) / 2, 12); // population SD of 2 values
    }
    const train = summary.training.find((t) => t.seed === 7)!;
    expect(train.losses).toHaveLength(4);
    expect(train.adapterSha256).toBe(createHash('sha256').update('adapter seed 7').digest('hex'));
    // after-training evals name the seed's adapter
    const evalRun = db.runs.get(summary.scenarios[0]!.afterRuns[1]!.runId)!;
    expect(path.basename(evalRun.adapterPath!)).toBe('seed-7.gguf');
    expect(db.runs.metrics(summary.run.id).some((m) => m.name === 'after.burglar-house/main.deceptive_rate')).toBe(true);
  });

  for (const crashAt of [
    { kind: 'eval', count: 3 },
    { kind: 'train', count: 2 },
    { kind: 'eval', count: 9 },
    { kind: 'latent', count: 2 },
    { kind: 'perplexity', count: 3 },
  ]) {
    it(`resumes after a kill during ${crashAt.kind} #${crashAt.count}: same rows as an uninterrupted run, none twice`, async () => {
      const ref = open('ref.db');
      const refSummary = await runner(ref, null, path.join(dir, 'ref')).run(config());

      const db = open('crash.db');
      let id = '';
      await expect(runner(db, crashAt, path.join(dir, 'crash')).run(config(), { onStart: (x) => (id = x) })).rejects.toThrow(/simulated kill/);
      expect(db.runs.get(id)!.status).toBe('failed');
      const skipped: string[] = [];
      const resumed = await runner(db, null, path.join(dir, 'crash')).run(null, { resume: id, onProgress: (p) => p.skipped && skipped.push(p.stage) });
      expect(resumed.run.status).toBe('done');
      expect(skipped.length).toBeGreaterThan(0);
      // identical stored content, stage by stage (adapter paths compared by file name)
      expect(dump(db.runs, id)).toEqual(dump(ref.runs, refSummary.run.id));
      const rows = db.store.db.prepare(`SELECT COUNT(*) AS n FROM runs WHERE parent_id = ?`).get(id) as { n: number };
      expect(rows.n).toBe(planStages(config(), db.packs).length);
    });
  }

  it('refuses to resume with a different config', async () => {
    const db = open('refuse.db');
    const s = await runner(db, null, path.join(dir, 'r')).run(config());
    const changed = { ...config(), seeds: [1] };
    await expect(runner(db, null, path.join(dir, 'r')).run(changed, { resume: s.run.id })).rejects.toThrow(/different config/);
  });
});
