/**
 * RlService on a real SQLite store (tiny budgets): every operation records an 'rl' run with its
 * config, steps, metrics and checkpoint; a cancelled run keeps its checkpoint and resumes to the end;
 * SOO fine-tuning refuses a non-deceptive source; the report computes the three grid MSEs and the
 * classification curve; and `soo-lab rl ... --json` prints one object with "run_id" (exit 2 on bad input).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, RunRepository, type Store } from '../../../electron/services/store/index.ts';
import { APP_ROOT } from '../../../electron/services/paths.ts';
import { RlService } from '../../../electron/services/rl/service.ts';
import { readGridsFile } from '../../../electron/services/rl/gridsFile.ts';
import { readCheckpoint } from '../../../electron/services/rl/checkpoint.ts';
import { MADDPG_CHECKPOINT, type MaddpgCheckpoint } from '../../../electron/services/rl/train.ts';
import { SooError } from '../../../electron/contract/errors.ts';

const TINY = { episodes: 12, batchSize: 64, updateEvery: 25, warmupSteps: 200, logEvery: 4, checkpointEvery: 4, evalEpisodes: 4 };

let dir: string;
let store: Store;
let runs: RunRepository;
let rl: RlService;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'soo-rl-'));
  store = openDatabase(path.join(dir, 'soo-lab.db'));
  runs = new RunRepository(store.db);
  rl = new RlService({ runs, db: store.db, dataDir: dir, appVersion: '0.0.0-test' });
});

afterAll(() => {
  store.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('RlService', () => {
  let deceptiveId = '';
  let honestId = '';

  it('train records a done rl run with config, per-window steps, metrics and a checkpoint artifact', { timeout: 120_000 }, async () => {
    const progress: number[] = [];
    const r = await rl.train({ mode: 'deceptive', seed: 4, ...TINY }, { onProgress: (p) => progress.push(p.done) });
    deceptiveId = r.run_id;
    const run = runs.get(r.run_id)!;
    expect(run.kind).toBe('rl');
    expect(run.status).toBe('done');
    expect(run.seed).toBe(4);
    expect(run.config).toMatchObject({ action: 'train', mode: 'deceptive', episodes: 12, gamma: 0.95, tau: 0.01, lr: 0.01 });
    expect(runs.steps(r.run_id).map((s) => s.step)).toEqual([4, 8, 12]);
    expect(progress).toEqual([4, 8, 12]);
    const metrics = Object.fromEntries(runs.metrics(r.run_id).map((m) => [m.name, m.value]));
    expect(metrics['train.env_steps']).toBe(12 * 50);
    expect(metrics['train.updates']).toBe(r.updates);
    // updates: every 25 steps once 200 transitions are in: steps 200, 225, ..., 600 -> 17
    expect(r.updates).toBe(17);
    expect(metrics['eval.episodes']).toBe(4);
    expect(runs.artifacts(r.run_id)).toEqual([expect.objectContaining({ kind: 'checkpoint', path: r.checkpoint })]);
    expect(existsSync(r.checkpoint)).toBe(true);
  });

  it('a cancelled run keeps its checkpoint and resumes to the end', { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    let id = '';
    await expect(
      rl.train({ mode: 'honest', seed: 4, ...TINY }, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done === 4) controller.abort(new SooError({ code: 'cancelled', message: 'stop' }));
        },
      }).catch((error: unknown) => {
        id = runs.list({ kind: 'rl', limit: 1 })[0]!.id;
        throw error;
      }),
    ).rejects.toThrow(/stop/);
    expect(runs.get(id)!.status).toBe('cancelled');
    const ckpt = readCheckpoint<MaddpgCheckpoint>(rl.checkpointPath(id), MADDPG_CHECKPOINT);
    expect(ckpt.state.episode).toBe(4);
    const resumed = await rl.resume(id);
    honestId = resumed.run_id;
    expect(resumed.run_id).toBe(id);
    expect(resumed.episodes).toBe(12);
    expect(resumed.env_steps).toBe(12 * 50);
    expect(runs.get(id)!.status).toBe('done');
    expect(runs.steps(id).map((s) => s.step)).toEqual([4, 8, 12]);
  });

  it('soo refuses a non-deceptive source and fine-tunes a deceptive one', { timeout: 120_000 }, async () => {
    await expect(rl.soo({ fromRunId: honestId })).rejects.toMatchObject({ data: { code: 'bad_input' } });
    await expect(rl.soo({ fromRunId: 'no-such-run' })).rejects.toMatchObject({ data: { code: 'not_found' } });
    const r = await rl.soo({ fromRunId: deceptiveId, episodes: 6, batchSize: 64, updateEvery: 10, warmupSteps: 64, logEvery: 3, evalEpisodes: 4 });
    expect(r.seed).toBe(4); // from the source run
    expect(r.updates).toBeGreaterThan(0);
    const run = runs.get(r.run_id)!;
    expect(run.config).toMatchObject({ action: 'soo', fromRunId: deceptiveId, sooWeight: 1, capabilityWeight: 1 });
    expect(runs.steps(r.run_id)[0]!.metrics).toHaveProperty('soo_term');
  });

  it('report: three grid MSEs and the classification curve, recorded as a run', { timeout: 120_000 }, async () => {
    const r = await rl.report({ episodes: 6, episodeCounts: [1, 3] });
    expect(r.seeds).toEqual([4]);
    expect(r.agents.map((a) => a.role).sort()).toEqual(['deceptive', 'honest', 'soo']);
    expect(r.behaviour.map((b) => b.pair)).toEqual(['soo_vs_honest', 'soo_vs_deceptive', 'honest_vs_deceptive']);
    for (const b of r.behaviour) expect(b.seeds).toBe(1);
    expect(r.classification.map((c) => c.episodes)).toEqual([1, 3, 6]);
    const names = runs.metrics(r.run_id).map((m) => m.name);
    expect(names).toContain('behaviour.honest_vs_deceptive');
    expect(names).toContain('classification.episodes_6');
    // the report saves the grids of its own evaluation (no second evaluation for the plots):
    // one per agent, and the corner cell (x >= 0, y <= 1) counts every candidate step of the 6 episodes
    const artifact = runs.artifacts(r.run_id).find((a) => a.kind === 'rl-grids')!;
    const grids = readGridsFile(artifact.path)!;
    expect(grids.episodes).toBe(6);
    expect(grids.agents.map((a) => a.role).sort()).toEqual(['deceptive', 'honest', 'soo']);
    for (const g of grids.agents) {
      expect(g.counts).toHaveLength(100 * 100);
      expect(g.counts[0 * 100 + 99]).toBe(r.agents.find((a) => a.role === g.role)!.deceptive_candidates);
    }
    const e = await rl.evaluate({ runIds: [deceptiveId, honestId], episodes: 3 });
    expect(e.agents.map((a) => a.role)).toEqual(['deceptive', 'honest']);
    expect(runs.get(e.run_id)!.status).toBe('done');
  });
});

describe('soo-lab rl (the binary)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/soo-lab.mjs', '--db', path.join(dir, 'cli.db'), ...args], { cwd: APP_ROOT, encoding: 'utf8', env: { ...process.env, SOO_LAB_DEBUG: '' } });

  it('rl train --json prints one object with run_id; bad input exits 2', { timeout: 120_000 }, () => {
    const r = cli('--json', 'rl', 'train', '--mode', 'honest', '--episodes', '2', '--seed', '1', '--warmup', '50', '--batch', '16', '--update-every', '50', '--eval-episodes', '1');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { run_id: string; episodes: number; mode: string };
    expect(out).toMatchObject({ episodes: 2, mode: 'honest' });
    expect(out.run_id).toMatch(/^[0-9a-f-]{36}$/);
    const bad = cli('rl', 'train', '--mode', 'sneaky');
    expect(bad.status).toBe(2);
    const noRun = cli('--json', 'rl', 'soo', '--from', 'nope');
    expect(noRun.status).toBe(2);
    expect(JSON.parse(noRun.stdout)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('rl report --out writes the HTML report; `soo-lab report` of that run writes it too; --csv is refused', { timeout: 120_000 }, () => {
    const html = path.join(dir, 'rl-report.html');
    const r = cli('--json', 'rl', 'report', '--episodes', '2', '--out', html);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { run_id: string; html: string; agents: { role: string }[] };
    expect(out.html).toBe(html);
    expect(out.agents.map((a) => a.role)).toEqual(['honest']);
    const text = readFileSync(html, 'utf8');
    expect(text).toContain(out.run_id);
    expect(text).toContain('<svg');
    const again = path.join(dir, 'rl-report-again.html');
    const viaReport = cli('--json', 'report', out.run_id, '--out', again);
    expect(viaReport.status, viaReport.stderr).toBe(0);
    expect(readFileSync(again, 'utf8')).toContain(out.run_id);
    const csv = cli('--json', 'report', out.run_id, '--out', again, '--csv', path.join(dir, 'csv'));
    expect(csv.status).toBe(2);
    expect(JSON.parse(csv.stdout)).toMatchObject({ error: { code: 'bad_input', message: expect.stringContaining('--csv') } });
  });
});

describe('RlJobs', () => {
  it('runs training as a job: progress events, a done event with run_id; cancel marks the run cancelled', { timeout: 120_000 }, async () => {
    const { JobRunner } = await import('../../../electron/services/jobs/jobs.ts');
    const { RlJobs } = await import('../../../electron/services/rl/rlJobs.ts');
    const jobs = new JobRunner();
    const rlJobs = new RlJobs(jobs, rl);
    const events: { name: string; data: { jobId: string; done?: number; ok?: boolean; result?: unknown; error?: { code: string } } }[] = [];
    jobs.subscribe((m) => events.push(m as (typeof events)[number]));
    const finished = (jobId: string) =>
      new Promise<(typeof events)[number]>((resolve) => {
        const off = jobs.subscribe((m) => {
          if (m.name === 'onJobDone' && m.data.jobId === jobId) {
            off();
            resolve(m as (typeof events)[number]);
          }
        });
      });
    const { jobId } = rlJobs.trainStart({ mode: 'honest', seed: 9, ...TINY, evalEpisodes: 0 });
    const done = await finished(jobId);
    expect(done.data.ok).toBe(true);
    const runId = (done.data.result as { run_id: string }).run_id;
    expect(runs.get(runId)!.status).toBe('done');
    expect(events.filter((e) => e.name === 'onJobProgress' && e.data.jobId === jobId).map((e) => e.data.done)).toEqual([4, 8, 12]);

    const second = rlJobs.trainStart({ mode: 'honest', seed: 10, ...TINY, episodes: 400, evalEpisodes: 0 });
    const off = jobs.subscribe((m) => {
      if (m.name === 'onJobProgress' && m.data.jobId === second.jobId) jobs.cancel(second.jobId);
    });
    const cancelled = await finished(second.jobId);
    off();
    expect(cancelled.data.ok).toBe(false);
    expect(cancelled.data.error?.code).toBe('cancelled');
    const run = runs.list({ kind: 'rl', limit: 1 })[0]!;
    expect(run.seed).toBe(10);
    expect(run.status).toBe('cancelled');
  });
});
