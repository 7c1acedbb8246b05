/**
 * The real `soo-lab experiment` binary on a tiny random model (2 seeds, n = 6, 4 training steps):
 * - runs end to end; --json carries per-scenario before/after with per-seed values; the database holds
 *   the experiment, one child run per planned stage, every prompt and raw response with its bucket, the
 *   loss curve per seed, the adapters with their sha256 (recomputed here), latent SOO per layer and
 *   perplexity; the aggregates equal mean and population SD recomputed from the stored responses;
 * - the HTML report is self-contained (no script, no external URL) and holds the before/after table and
 *   the charts; `runs list|show|export` and `report --csv` read the same run;
 * - kill -9 (the whole process group, engine included) in the middle of the second seed, then
 *   `--resume`: it finishes with the same rows as the uninterrupted run and no child run twice.
 * Skipped only when the native addon is not built (and failing under CI, see native-addon.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { RunRepository } from '../../electron/services/store/runs.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from '../native/native-addon.ts';

const CLI_MS = 600_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-cli-exp-'));
const db = path.join(dir, 'soo-lab.db');
const BUCKETS = ['deceptive', 'honest', 'neither', 'degenerate'] as const;

/** Own process group: kill -9 reaches the engine process too. */
const cli = (args: string[], onSpawn?: (pid: number) => void) => runCli(db, args, { threads: THREADS, detached: true, ...(onSpawn ? { onSpawn } : {}) });

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface ExpJson {
  run_id: string;
  status: string;
  seeds: number[];
  scenarios: { key: string; before: Record<string, number> | null; after: Record<string, { mean: number; sd: number; per_seed: { seed: number; value: number }[] }> | null }[];
  latent: { layers: number[]; before: number[] | null; after_mean: number[] | null };
  perplexity: { before: number | null; after_mean: number | null };
  training: { seed: number; steps: number; adapter: string | null }[];
  report: string | null;
}

/** What an experiment stored, keyed by stage name; ids and timings left out, adapters by file name + hash. */
function dump(runs: RunRepository, id: string) {
  const children = runs.list({ parentId: id, limit: 10_000 }).sort((a, b) => a.name.localeCompare(b.name));
  return {
    metrics: runs.metrics(id).map((m) => ({ name: m.name, value: m.value })),
    children: children.map((c) => ({
      name: c.name,
      status: c.status,
      adapter: c.adapterPath ? path.basename(c.adapterPath) : null,
      adapterSha256: c.adapterSha256,
      losses: runs.steps(c.id).map((s) => [s.step, s.loss]),
      responses: runs.responses(c.id).map((r) => [r.variant, r.mirrored, r.idx, r.prompt, r.response, r.bucket]),
      metrics: runs.metrics(c.id).filter((m) => m.name !== 'seconds' && m.name !== 'n').map((m) => ({ name: m.name, value: m.value })),
      artifacts: runs.artifacts(c.id).map((a) => [a.kind, path.basename(a.path), a.sha256]),
    })),
  };
}

describe.skipIf(!addonBuilt)('soo-lab experiment (real binary, tiny model)', () => {
  let configFile: string;
  let first: ExpJson;
  const STAGES = 8 + 2 * 8; // baseline: 6 evals (main, mirror, self, self mirror, control, honesty) + latent + perplexity; per seed: train + 5 evals + latent + perplexity

  beforeAll(async () => {
    const model = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
    configFile = path.join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        name: 'tiny CI experiment',
        model,
        preset: 'tiny',
        seeds: [0, 1],
        variants: [],
        generalisation: [],
        control: 'theory-of-mind',
        evaluation: { n: 6, maxTokens: 8, chatTemplate: 'none' },
        training: { pairs: 4, epochs: 2, batch: 2 },
        latent: { pairs: 4 },
        capability: { perplexityTokens: 48 },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs end to end and stores everything; the report holds the table and the charts', async () => {
    const report = path.join(dir, 'report.html');
    const r = await cli(['--json', 'experiment', '--config', configFile, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout) as ExpJson;
    expect(first.status).toBe('done');
    expect(first.scenarios.map((s) => s.key)).toEqual(['burglar-house/main', 'burglar-house/main/mirror', 'theory-of-mind/main']);

    const conn = new Database(db, { readonly: true });
    try {
      const runs = new RunRepository(conn);
      const exp = runs.get(first.run_id)!;
      expect(exp.kind).toBe('experiment');
      expect(exp.modelSha256).toMatch(/^[0-9a-f]{64}$/);
      const children = runs.list({ parentId: first.run_id, limit: 1000 });
      expect(children).toHaveLength(STAGES);
      expect(children.every((c) => c.status === 'done')).toBe(true);
      for (const c of children.filter((x) => x.kind === 'eval' && x.name.includes(': eval '))) {
        const rs = runs.responses(c.id);
        expect(rs).toHaveLength(6);
        for (const resp of rs) expect(BUCKETS).toContain(resp.bucket);
      }
      for (const t of first.training) {
        expect(t.steps).toBe(4); // 2 epochs x ceil(4 pairs / batch 2)
        expect(existsSync(t.adapter!)).toBe(true);
        const train = children.find((c) => c.name === `seed ${t.seed}: train`)!;
        expect(runs.steps(train.id)).toHaveLength(4);
        expect(runs.artifacts(train.id)[0]!.sha256).toBe(sha256(t.adapter!));
        // after-training evals record the adapter and its hash
        const ev = children.find((c) => c.name === `seed ${t.seed}: eval burglar-house/main`)!;
        expect(ev.adapterPath).toBe(t.adapter);
        expect(ev.adapterSha256).toBe(sha256(t.adapter!));
      }
      // aggregates = mean and population SD of the per-seed rates recomputed from stored responses
      for (const sc of first.scenarios) {
        for (const b of BUCKETS) {
          const perSeed = [0, 1].map((seed) => {
            const ev = children.find((c) => c.name === `seed ${seed}: eval ${sc.key}`)!;
            const rs = runs.responses(ev.id);
            return rs.filter((x) => x.bucket === b).length / rs.length;
          });
          const m = (perSeed[0]! + perSeed[1]!) / 2;
          expect(sc.after![`${b}_rate`]!.mean).toBeCloseTo(m, 12);
          expect(sc.after![`${b}_rate`]!.sd).toBeCloseTo(Math.sqrt(((perSeed[0]! - m) ** 2 + (perSeed[1]! - m) ** 2) / 2), 12);
        }
      }
      expect(first.latent.layers).toEqual([0, 1, 2]);
      expect(first.latent.before!.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      expect(first.perplexity.before).toBeGreaterThan(1);
    } finally {
      conn.close();
    }

    const html = readFileSync(report, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).toContain('<table class="before_after">');
    expect(html).toContain('burglar-house/main/mirror');
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6); // 4 bucket bar charts, latent, loss
    expect(html).toContain('class="errorbar"');
  }, CLI_MS);

  it('runs list | show | export and report --csv read the same run', async () => {
    const list = await cli(['--json', 'runs', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { runs: { id: string }[] }).runs.map((r) => r.id)).toContain(first.run_id);
    const show = await cli(['--json', 'runs', 'show', first.run_id]);
    expect((JSON.parse(show.stdout) as { children: unknown[] }).children).toHaveLength(STAGES);
    const out = path.join(dir, 'export.json');
    const exp = await cli(['--json', 'runs', 'export', first.run_id, '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    const data = JSON.parse(readFileSync(out, 'utf8')) as { children: { responses: unknown[] }[] };
    expect(data.children).toHaveLength(STAGES);
    expect(data.children.reduce((s, c) => s + c.responses.length, 0)).toBe(6 * (6 + 5 * 2)); // baseline 6 evals, 5 per seed (with the self side)
    const rep = await cli(['--json', 'report', first.run_id, '--out', path.join(dir, 'r2.html'), '--csv', path.join(dir, 'csv')]);
    expect(rep.code, rep.stderr).toBe(0);
    const csv = readFileSync(path.join(dir, 'csv', 'before_after.csv'), 'utf8').split('\r\n');
    expect(csv[0]).toMatch(/^scenario,role,n,before_deceptive/);
    const bad = await cli(['runs', 'show', 'no-such-run']);
    expect(bad.code).toBe(2);
  }, CLI_MS);

  it('kill -9 mid-experiment, then --resume: same rows as the uninterrupted run, none twice', async () => {
    let pid = 0;
    let killed = false;
    let exited = false;
    const running = cli(['--json', 'experiment', '--config', configFile], (p) => (pid = p));
    void running.then(() => (exited = true));
    // Kill the whole process group once seed 1's evaluation has begun (its training is done by then, and
    // more stages follow it). Poll often: on a quiet machine a tiny stage lasts well under a second. Stop
    // polling if the experiment ends first, so a missed window fails at once instead of hanging.
    const started = Date.now();
    let expId = '';
    while (!killed && !exited && Date.now() - started < CLI_MS) {
      await new Promise((r) => setTimeout(r, 20));
      if (!existsSync(db)) continue;
      const conn = new Database(db, { readonly: true, timeout: 5000 });
      try {
        const row = conn.prepare(`SELECT id, status FROM runs WHERE kind = 'experiment' AND id <> ? ORDER BY created_at DESC LIMIT 1`).get(first.run_id) as { id: string; status: string } | undefined;
        if (!row) continue;
        expId = row.id;
        if (row.status !== 'running') break;
        const seed1 = conn.prepare(`SELECT COUNT(*) AS n FROM runs WHERE parent_id = ? AND name LIKE 'seed 1: eval %'`).get(expId) as { n: number };
        if (seed1.n > 0) {
          process.kill(-pid, 'SIGKILL');
          killed = true;
        }
      } finally {
        conn.close();
      }
    }
    const r = await running;
    expect(killed).toBe(true);
    expect(r.signal).toBe('SIGKILL');

    const resumed = await cli(['--json', 'experiment', '--resume', expId]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/done before, skipped/);
    const conn = new Database(db, { readonly: true });
    try {
      const runs = new RunRepository(conn);
      expect(runs.get(expId)!.status).toBe('done');
      const names = runs.list({ parentId: expId, limit: 1000 }).map((c) => c.name);
      expect(names).toHaveLength(STAGES);
      expect(new Set(names).size).toBe(STAGES);
      // stage by stage first, so a difference names its stage; then everything
      const resumedDump = dump(runs, expId);
      const reference = dump(runs, first.run_id);
      for (const [i, child] of reference.children.entries()) expect(resumedDump.children[i], child.name).toEqual(child);
      expect(resumedDump).toEqual(reference);
    } finally {
      conn.close();
    }
  }, 2 * CLI_MS);
});
