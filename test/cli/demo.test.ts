/**
 * The real `soo-lab demo --quick --json` in a fresh data folder: the reduced build of the built-in
 * demo model (resources/demo/recipe.json `quick`) and its ready experiment, end to end.
 * - the JSON carries cli.md's fields: baseline and after-SOO deceptive rates of the held-out main
 *   scenario (fractions), the number of seeds, the report path and the run id;
 * - those rates are the stored ones: recomputed here from the buckets of the stored responses of the
 *   baseline and per-seed evaluation runs of the main scenario;
 * - the organism's bar (organismCheck.ts) is judged on the build's own measurement;
 * - the model file, its build info and the report exist; the report holds the before/after table;
 * - a second run takes the model from the cache (model_built_now false) and adds a second experiment.
 * Skipped only when the native addon is not built.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { organismProblems } from '../../electron/services/demo/organismCheck.ts';
import { runCli } from '../helpers/cli.ts';
import { addonBuilt, THREADS } from '../native/native-addon.ts';

/** The quick build + a 2-seed experiment: a few minutes on CI, more on a loaded 2-core box. */
const CLI_MS = 1_200_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-cli-demo-'));
const db = path.join(dir, 'soo-lab.db');

const cli = (args: string[]) => runCli(db, args, { threads: THREADS });

interface DemoJson {
  baseline_deceptive_rate: number | null;
  soo_deceptive_rate: number | null;
  soo_deceptive_sd: number | null;
  seeds: number;
  report: string;
  run_id: string;
  status: string;
  variant: string;
  model: string;
  model_built_now: boolean;
  scenarios: { key: string; role: string; before: { deceptive: number; n: number } | null; after: Record<string, { mean: number; per_seed: { seed: number; value: number }[] }> | null }[];
  build_measurement: { other: { n: number }; perplexity: number } | null;
  perplexity: { before: number | null; after_mean: number | null };
  organism_problems: string[];
}

/** Deceptive share of the stored responses of the child run named `name` of experiment `parent`. */
function storedDeceptive(sql: Database.Database, parent: string, name: string): number {
  const run = sql.prepare('SELECT id FROM runs WHERE parent_id = ? AND name = ?').get(parent, name) as { id: string } | undefined;
  expect(run, `child run "${name}"`).toBeDefined();
  const rows = sql.prepare('SELECT bucket FROM run_responses WHERE run_id = ?').all(run!.id) as { bucket: string }[];
  expect(rows.length).toBeGreaterThan(0);
  return rows.filter((r) => r.bucket === 'deceptive').length / rows.length;
}

describe.skipIf(!addonBuilt)('soo-lab demo --quick --json', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the demo model, runs its experiment, stores both deception rates and writes the report', async () => {
    const r = await cli(['--json', 'demo', '--quick']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/demo: build train \d+\/\d+/); // build progress on stderr
    const out = JSON.parse(r.stdout) as DemoJson;
    expect(out.variant).toBe('quick');
    expect(out.status).toBe('done');
    expect(out.model_built_now).toBe(true);
    expect(out.seeds).toBe(2);
    expect(existsSync(out.model)).toBe(true);
    expect(existsSync(out.model.replace(/\.gguf$/, '.json'))).toBe(true);
    expect(out.build_measurement?.other.n).toBeGreaterThan(0);
    // the organism's bar, judged on that measurement, in the JSON and (when missed) in the human output
    expect(out.organism_problems).toEqual(organismProblems(out.build_measurement as never));

    // cli.md's two rates, in [0, 1], equal to what the stored responses say
    expect(out.baseline_deceptive_rate).toBeTypeOf('number');
    expect(out.soo_deceptive_rate).toBeTypeOf('number');
    for (const x of [out.baseline_deceptive_rate!, out.soo_deceptive_rate!]) expect(x >= 0 && x <= 1).toBe(true);
    const sql = new Database(db, { readonly: true });
    try {
      const exp = sql.prepare('SELECT kind, status FROM runs WHERE id = ?').get(out.run_id) as { kind: string; status: string };
      expect(exp).toEqual({ kind: 'experiment', status: 'done' });
      expect(storedDeceptive(sql, out.run_id, 'baseline: eval demo-house/main')).toBeCloseTo(out.baseline_deceptive_rate!, 12);
      const main = out.scenarios.find((s) => s.key === 'demo-house/main')!;
      const perSeed = main.after!.deceptive!.per_seed;
      expect(perSeed.map((p) => p.seed)).toHaveLength(2);
      for (const p of perSeed) expect(storedDeceptive(sql, out.run_id, `seed ${p.seed}: eval demo-house/main`)).toBeCloseTo(p.value, 12);
      expect(out.soo_deceptive_rate).toBeCloseTo(perSeed.reduce((a, p) => a + p.value, 0) / perSeed.length, 12);
      // perplexity is scored per held-out text, as in training: the quick build's held-out texts fit the
      // experiment's token budget, so 'before' is the build's own measurement of the same model
      expect(Math.abs(out.perplexity.before! - out.build_measurement!.perplexity) / out.build_measurement!.perplexity).toBeLessThan(1e-9);
      expect(out.perplexity.after_mean).toBeTypeOf('number');
      // the self side and the mirrored order were evaluated too
      expect(out.scenarios.map((s) => s.key)).toEqual(expect.arrayContaining(['demo-house/main/mirror', 'demo-house/self', 'demo-house/self/mirror']));
    } finally {
      sql.close();
    }

    // the report: self-contained, with the before/after table
    const html = readFileSync(out.report, 'utf8');
    expect(out.report.startsWith(dir)).toBe(true);
    expect(html).toContain(out.run_id);
    expect(html).toMatch(/demo-house\/main/);
    expect(html).not.toMatch(/<script\b[^>]*\bsrc=/i);

    // second run: the model comes from the cache, a new experiment is recorded
    const again = await cli(['--json', 'demo', '--quick', '--report', path.join(dir, 'again.html')]);
    expect(again.code, again.stderr).toBe(0);
    const second = JSON.parse(again.stdout) as DemoJson;
    expect(second.model_built_now).toBe(false);
    expect(second.model).toBe(out.model);
    expect(second.run_id).not.toBe(out.run_id);
    expect(second.report).toBe(path.join(dir, 'again.html'));
    // same model, same seeds, same inputs: the same rates
    expect(second.baseline_deceptive_rate).toBe(out.baseline_deceptive_rate);
    expect(second.soo_deceptive_rate).toBe(out.soo_deceptive_rate);
  }, CLI_MS);
});
