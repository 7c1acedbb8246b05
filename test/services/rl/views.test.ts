/**
 * RlViews (the RL page's entries) on a real store with tiny budgets: multi-seed train and SOO jobs
 * (progress over all seeds, one run per seed), the report job's grids checked against the report's own
 * stored grid MSEs (recomputed here from the per-seed grids) and against the agents' candidate counts,
 * threshold monotonicity, mean/SD over seeds recomputed, the episode trace against the evaluation
 * (candidate steps summed over episodes = the report's deceptive_candidates; the same call twice = the
 * same trace; a trapped red never moves), and bad input naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, RunRepository, type Store } from '../../../electron/services/store/index.ts';
import { JobRunner } from '../../../electron/services/jobs/jobs.ts';
import { RlService, type RlReportResult } from '../../../electron/services/rl/service.ts';
import { RlViews, thresholdIndices } from '../../../electron/services/rl/views.ts';
import type { JobDone, JobProgress } from '../../../electron/contract/events.ts';
import { createServices } from '../../../electron/services/index.ts';
import { createApiHandlers } from '../../../electron/services/api/handlers.ts';
import { dispatch } from '../../../electron/services/api/dispatch.ts';

const TINY = { episodes: 8, episodeLength: 50, batchSize: 64, updateEvery: 25, warmupSteps: 100, logEvery: 4, checkpointEvery: 4, evalEpisodes: 2 };
const EVAL_EPISODES = 30;

let dir: string;
let store: Store;
let runs: RunRepository;
let jobs: JobRunner;
let views: RlViews;
const progress = new Map<string, JobProgress[]>();

function finished(jobId: string): Promise<JobDone> {
  return new Promise((resolve) => {
    const off = jobs.subscribe((m) => {
      if (m.name === 'onJobDone' && m.data.jobId === jobId) {
        off();
        resolve(m.data as JobDone);
      }
    });
  });
}

async function result<T>(start: { jobId: string }): Promise<T> {
  const done = await finished(start.jobId);
  if (!done.ok) throw new Error(`job failed: ${JSON.stringify(done.error)}`);
  return done.result as T;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'soo-rl-views-'));
  store = openDatabase(path.join(dir, 'soo-lab.db'));
  runs = new RunRepository(store.db);
  jobs = new JobRunner();
  jobs.subscribe((m) => {
    if (m.name === 'onJobProgress') {
      const p = m.data as JobProgress;
      progress.set(p.jobId, [...(progress.get(p.jobId) ?? []), p]);
    }
  });
  const rl = new RlService({ runs, db: store.db, dataDir: dir, appVersion: '0.0.0-test' });
  views = new RlViews({ rl, jobs, runs });
});

afterAll(() => {
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('RlViews', () => {
  let report: RlReportResult;
  const byRole: Record<string, string[]> = {};

  it('trains one run per seed in one job, with progress over all seeds, and lists them', { timeout: 300_000 }, async () => {
    const start = views.trainStart({ mode: 'deceptive', seeds: [1, 2], ...TINY });
    const r = await result<{ runs: { run_id: string; seed: number }[] }>(start);
    expect(r.runs.map((x) => x.seed)).toEqual([1, 2]);
    const done = progress.get(start.jobId)!.map((p) => p.done);
    expect(done).toEqual([0, 4, 8, 8, 12, 16]);
    expect(progress.get(start.jobId)!.every((p) => p.total === 16)).toBe(true);
    byRole.deceptive = r.runs.map((x) => x.run_id);
    byRole.honest = (await result<{ runs: { run_id: string }[] }>(views.trainStart({ mode: 'honest', seeds: [1, 2], ...TINY }))).runs.map((x) => x.run_id);
    byRole.soo = (await result<{ runs: { run_id: string }[] }>(views.sooStart({ fromRunIds: byRole.deceptive!, ...TINY, episodes: 4, warmupSteps: 50, logEvery: 2 }))).runs.map((x) => x.run_id);

    const list = views.list();
    const soo = list.find((v) => v.id === byRole.soo![0])!;
    expect(soo).toMatchObject({ action: 'soo', role: 'soo', status: 'done', seed: 1, episodes: 4, episodesDone: 4, episodeLength: 50, fromRunId: byRole.deceptive[0] });
    expect(list.find((v) => v.id === byRole.honest![1])).toMatchObject({ action: 'train', role: 'honest', seed: 2, episodesDone: 8 });
    expect(list.find((v) => v.id === byRole.honest![1])!.metrics['train.env_steps']).toBe(8 * 50);
  });

  it('refuses repeated seeds and unknown source runs, naming the field', () => {
    expect(() => views.trainStart({ mode: 'honest', seeds: [3, 3] })).toThrow(/seeds: "3" is given twice/);
    expect(() => views.sooStart({ fromRunIds: ['nope'] })).toThrow(/fromRunIds: no rl run with id "nope"/);
    // settings are checked by the call, before any job starts
    const before = jobs.list().length;
    expect(() => views.trainStart({ mode: 'honest', seeds: [3], noiseStart: -1 })).toThrow(/rl train: \$\.noiseStart: /);
    expect(jobs.list()).toHaveLength(before);
  });

  it('report job: grids whose pairwise MSE per seed equals the stored behaviour, mean/SD over seeds', { timeout: 300_000 }, async () => {
    report = await result<RlReportResult>(views.reportStart({ ...byRole, episodes: EVAL_EPISODES, episodeCounts: [1, 3] }));
    const m = await views.metrics(report.run_id, 100);
    expect(m.seeds).toEqual([1, 2]);
    expect(m.episodes).toBe(EVAL_EPISODES);
    expect(m.axes.x[0]).toBe(0);
    expect(m.axes.x.at(-1)).toBe(1);
    expect(m.axes.y[0]).toBe(-1);
    expect(m.axes.y.at(-1)).toBe(1);
    expect(m.grids.map((g) => g.role)).toEqual(['deceptive', 'honest', 'soo']);
    expect(m.classification.map((c) => c.episodes)).toEqual([1, 3, 30]);
    const grid = (role: string, seed: number) => m.grids.find((g) => g.role === role)!.perSeed.find((p) => p.seed === seed)!.values;
    const mse = (a: number[][], b: number[][]) => {
      const fb = b.flat();
      return a.flat().reduce((s, v, k) => s + (v - fb[k]!) ** 2, 0) / 10_000;
    };
    expect(Math.max(...report.behaviour.flatMap((b) => b.per_seed))).toBeGreaterThan(0); // grids differ somewhere
    for (const b of report.behaviour) {
      const [ra, rb] = b.pair.split('_vs_') as [string, string];
      const perSeed = [1, 2].map((s) => mse(grid(ra, s), grid(rb, s)));
      expect(perSeed[0]).toBeCloseTo(b.per_seed[0]!, 12);
      expect(perSeed[1]).toBeCloseTo(b.per_seed[1]!, 12);
    }
    for (const g of m.grids) {
      for (const p of g.perSeed) {
        const agent = report.agents.find((a) => a.role === g.role && a.seed === p.seed)!;
        // the corner cell (x >= 0, y <= 1) counts every candidate step
        expect(p.values[0]![99]! * EVAL_EPISODES).toBeCloseTo(agent.deceptive_candidates, 9);
        const broken: string[] = [];
        for (let i = 0; i < 100; i++) {
          for (let j = 0; j < 100; j++) {
            if (i > 0 && p.values[i]![j]! > p.values[i - 1]![j]!) broken.push(`x ${i},${j}`);
            if (j > 0 && p.values[i]![j]! < p.values[i]![j - 1]!) broken.push(`y ${i},${j}`);
          }
        }
        expect(broken).toEqual([]);
      }
      const [a, b] = [g.perSeed[0]!.values, g.perSeed[1]!.values];
      for (const [i, j] of [[0, 99], [10, 60], [50, 80]] as const) {
        expect(g.mean[i]![j]).toBeCloseTo((a[i]![j]! + b[i]![j]!) / 2, 12);
        expect(g.sd[i]![j]).toBeCloseTo(Math.abs(a[i]![j]! - b[i]![j]!) / Math.SQRT2, 12);
      }
    }
    // subsampled: every other threshold, ends included, same values as the full grid there
    const half = await views.metrics(report.run_id, 50);
    const idx = thresholdIndices(50);
    expect(idx[0]).toBe(0);
    expect(idx.at(-1)).toBe(99);
    expect(half.grids[0]!.mean[7]![30]).toBe(m.grids[0]!.mean[idx[7]!]![idx[30]!]);
    // a report whose grids.json is missing (made before reports saved it): replayed, saved, the same grids
    const file = runs.artifacts(report.run_id).find((a) => a.kind === 'rl-grids')!.path;
    rmSync(file);
    const replayed = await views.metrics(report.run_id, 100);
    expect(existsSync(file)).toBe(true);
    expect(replayed.grids).toEqual(m.grids);
  });

  it('the episode trace replays the evaluation: its candidate steps add up to the report count', { timeout: 120_000 }, async () => {
    for (const role of ['deceptive', 'soo'] as const) {
      const run = byRole[role]![0]!;
      let candidates = 0;
      let inSight = 0;
      for (let e = 0; e < EVAL_EPISODES; e++) {
        const t = await views.trace(run, 1, e);
        expect(t.steps).toHaveLength(51);
        expect(t.steps[0]!.actBlue).toBeNull();
        candidates += t.steps.filter((s) => s.candidate).length;
        inSight += t.steps.slice(1).filter((s) => s.inSight).length; // the 50 steps taken
        const trappedAt = t.steps.findIndex((s) => s.redTrapped);
        if (trappedAt >= 0) for (const s of t.steps.slice(trappedAt)) expect(s.red).toEqual(t.steps[trappedAt]!.red);
      }
      expect(candidates).toBeGreaterThan(0); // else the equality below says nothing
      const agent = report.agents.find((a) => a.role === role && a.seed === 1)!;
      expect(candidates).toBe(agent.deceptive_candidates);
      expect(inSight).toBeGreaterThan(0);
      expect(agent.in_sight_frac).toBeCloseTo(inSight / (50 * EVAL_EPISODES), 12);
    }
    const a = await views.trace(byRole.honest![0]!, 7, 3);
    const b = await views.trace(byRole.honest![0]!, 7, 3);
    expect(a).toEqual(b);
    const other = await views.trace(byRole.honest![0]!, 7, 4);
    expect(other.landmarks).not.toEqual(a.landmarks);
    // the three roles play the same world for one (seed, episode)
    const worlds = await Promise.all((['deceptive', 'honest', 'soo'] as const).map((r) => views.trace(byRole[r]![0]!, 1, 2)));
    expect(worlds[1]!.landmarks).toEqual(worlds[0]!.landmarks);
    expect(worlds[2]!.steps[0]).toEqual(worlds[0]!.steps[0]);
  });

  it('the HTML report: self-contained, agents table, one banded grid per role plus the SOO SD, the stored numbers', async () => {
    const { text, fileName } = await views.reportHtml(report.run_id);
    expect(fileName).toBe(`rl-report-${report.run_id}.html`);
    expect(text).not.toMatch(/<script|\ssrc=|\shref=|url\(/); // nothing to run or fetch
    for (const a of report.agents) expect(text).toContain(`<code>${a.run}</code>`);
    const figures = text.match(/<figure class="chart"><figcaption>[^<]*/g)!.map((f) => f.replace(/.*<figcaption>/, ''));
    expect(figures.slice(0, 4)).toEqual(['Deceptive baseline: mean over seeds 1, 2', 'Honest baseline: mean over seeds 1, 2', 'SOO fine-tuned: mean over seeds 1, 2', 'SOO fine-tuned: SD over 2 seeds (own colour range)']);
    // 25 x 25 cells per grid picture
    expect(text.match(/<rect class="cell" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#[0-9a-f]{6}"\/>/g)).toHaveLength(4 * 625);
    for (const b of report.behaviour) expect(text).toContain(`<td>${b.mean.toFixed(6)}</td><td>${b.sd.toFixed(6)}</td><td>2</td>`);
    for (const c of report.classification) expect(text).toContain(`<tr><td>${c.episodes}</td><td>${c.accuracy.toFixed(3)}</td><td>${c.correct} / 2</td></tr>`);
  });

  it('metrics and trace refuse the wrong kind of run', async () => {
    await expect(views.metrics(byRole.honest![0]!)).rejects.toThrow(/runId: .* not a report/);
    await expect(views.trace(report.run_id, 0, 0)).rejects.toThrow(/runId: .* has no agents/);
    await expect(views.trace('nope', 0, 0)).rejects.toMatchObject({ data: { code: 'not_found' } });
  });
});

describe('rl.* through the contract (dispatch)', () => {
  it('refuses bad input naming the field, and answers with data', async () => {
    const services = createServices({ dbPath: path.join(dir, 'dispatch.db') });
    try {
      const handlers = createApiHandlers(services);
      const call = (name: string, input: unknown) => dispatch(handlers, name, input) as Promise<{ ok: boolean; value?: unknown; error?: { code: string; path?: string; message: string } }>;
      expect(await call('rl.trainStart', { mode: 'honest', seeds: [] })).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.seeds' } });
      expect(await call('rl.trainStart', { mode: 'sneaky', seeds: [0] })).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.mode' } });
      expect(await call('rl.sooStart', { fromRunIds: ['x'], sooWeight: -1 })).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.sooWeight' } });
      expect(await call('rl.metrics', { runId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await call('rl.trace', { runId: 'nope', episode: -1 })).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.episode' } });
      expect(await call('rl.runs', {})).toEqual({ ok: true, value: [] });
      expect(services.info().pages).toContain('rl');
    } finally {
      await services.disposeAsync();
    }
  });
});
