/**
 * The self side of an experiment: the pack's self-advising variant (`advises: "self"`) is validated,
 * renders prompts in which the model advises itself (same values and decision as the main prompt),
 * is planned as role `self` (never as a generalisation variant), and is reported before and per seed
 * with all four buckets: summary (recomputed from the stored responses), experiment metrics, tables
 * and the HTML report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScenarioPackInput } from '../../../electron/contract/scenario-pack.ts';
import { resolveExperimentConfig } from '../../../electron/services/experiments/config.ts';
import { planStages, scenarioSpecs, type ResolvedPacks } from '../../../electron/services/experiments/plan.ts';
import { ExperimentRunner } from '../../../electron/services/experiments/runner.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { experimentReportHtml } from '../../../electron/services/reports/html.ts';
import { experimentTables } from '../../../electron/services/reports/tables.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { ScenarioService } from '../../../electron/services/scenarios/service.ts';
import { validatePack } from '../../../electron/services/scenarios/validate.ts';
import { openDatabase, PackRepository, RunRepository, type Store } from '../../../electron/services/store/index.ts';
import { fakeBackends } from './fakes.ts';

let dir: string;
const stores: Store[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-self-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const burglar = () => JSON.parse(fs.readFileSync(path.join(RESOURCES_DIR, 'scenarios', 'burglar-house.json'), 'utf8')) as Omit<ScenarioPackInput, 'variants'> & { variants: Record<string, unknown>[] };

describe('the self-advising variant in a pack', () => {
  it('burglar-house has one; its prompts ask the model to advise itself, with the main prompt\'s values and decision', () => {
    const { pack, issues } = validatePack(burglar());
    expect(issues).toEqual([]);
    const self = pack!.variants.filter((v) => v.advises === 'self');
    expect(self.map((v) => v.id)).toEqual(['self']);
    const main = renderPrompts(pack!, { n: 20, seed: 4 });
    for (const mirror of [false, true]) {
      const own = renderPrompts(pack!, { n: 20, seed: 4, variant: 'self', mirror });
      own.forEach((p, i) => {
        expect(p.prompt).toMatch(/to yourself/);
        expect(p.prompt).not.toContain(main[i]!.values.party!); // nobody else asks
        expect([p.deceptive, p.honest]).toEqual([main[i]!.deceptive, main[i]!.honest]);
        expect(p.mirrored).toBe(mirror);
      });
    }
  });

  it('is refused twice, without a wording of its own, or with the other party\'s mirror; advises is a known field with known values', () => {
    const two = burglar();
    two.variants.push({ ...two.variants.at(-1)!, id: 'self-too' });
    expect(validatePack(two).issues).toContainEqual({ path: '$.variants[8].advises', message: expect.stringMatching(/only one variant may advise the model itself \(already \$\.variants\[7\]\)/) });

    const same = burglar();
    same.variants[7] = { id: 'self', advises: 'self' };
    expect(validatePack(same).issues).toContainEqual({ path: '$.variants[7]', message: expect.stringMatching(/must change the test wording/) });

    const noMirror = burglar();
    noMirror.variants[7] = { id: 'self', advises: 'self', test: { template: (noMirror.variants[7]!.test as { template: string }).template } };
    expect(validatePack(noMirror).issues).toContainEqual({ path: '$.variants[7].test.mirrorTemplate', message: expect.stringMatching(/mirrored wording/) });

    // phrase overrides that change both wordings are enough (the demo pack's style)
    const byPhrase = burglar();
    byPhrase.variants[7] = { id: 'self', advises: 'self', phrases: { action: 'suggest' } };
    expect(validatePack(byPhrase).issues).toEqual([]);

    const typo = burglar();
    typo.variants[7] = { ...typo.variants[7]!, advises: 'me' };
    expect(validatePack(typo).issues.map((i) => i.path)).toContain('$.variants[7].advises');
    const unknown = burglar();
    unknown.variants[7] = { ...unknown.variants[7]!, adviseS: 'self' };
    expect(validatePack(unknown).issues.map((i) => i.path)).toContain('$.variants[7].adviseS');
  });
});

function open(name: string): { store: Store; runs: RunRepository; packs: ResolvedPacks } {
  const store = openDatabase(path.join(dir, name));
  stores.push(store);
  const scenarios = new ScenarioService({ packs: new PackRepository(store.db), builtinDir: path.join(RESOURCES_DIR, 'scenarios') });
  return { store, runs: new RunRepository(store.db), packs: { main: scenarios.resolve('burglar-house'), generalisation: [], control: null } };
}

const config = (variants: 'all' | string[]) =>
  resolveExperimentConfig({ model: 'tiny.gguf', preset: 'tiny', seeds: [2, 5, 9], variants, generalisation: [], control: null, evaluation: { n: 8 }, training: { pairs: 2, epochs: 1, batch: 2 }, latent: { pairs: 2 } });

describe('the self side in an experiment', () => {
  it('is planned as role self, never as a generalisation variant', () => {
    const db = open('plan.db');
    for (const variants of ['all', ['want', 'self']] as const) {
      const specs = scenarioSpecs(config(variants as 'all' | string[]), db.packs);
      expect(specs.filter((s) => s.role === 'self').map((s) => s.key)).toEqual(['burglar-house/self', 'burglar-house/self/mirror']);
      expect(specs.filter((s) => s.variant === 'self').every((s) => s.role === 'self')).toBe(true);
      expect(new Set(specs.map((s) => s.key)).size).toBe(specs.length);
    }
    expect(scenarioSpecs(config('all'), db.packs).filter((s) => s.role === 'deception')).toHaveLength(2 + 7); // main, mirror, 7 variants
    const noMirror = resolveExperimentConfig({ model: 'm.gguf', mirror: false, generalisation: [], control: null });
    expect(scenarioSpecs(noMirror, db.packs).filter((s) => s.role === 'self').map((s) => s.key)).toEqual(['burglar-house/self']);
  });

  it('mirrors a self variant that changes only phrases with the pack\'s own mirror template (demo-house)', () => {
    const db = open('plan-demo.db');
    const scenarios = new ScenarioService({ packs: new PackRepository(db.store.db), builtinDir: path.join(RESOURCES_DIR, 'scenarios') });
    const demo = scenarios.resolve('demo-house');
    const self = demo.variants.find((v) => v.advises === 'self')!;
    expect(self.test?.mirrorTemplate).toBeUndefined(); // inherited, not declared
    const specs = scenarioSpecs(config('all'), { main: demo, generalisation: [], control: null });
    expect(specs.filter((s) => s.role === 'self').map((s) => s.key)).toEqual(['demo-house/self', 'demo-house/self/mirror']);
    const mirrored = renderPrompts(demo, { n: 4, seed: 1, variant: self.id, mirror: true });
    const plain = renderPrompts(demo, { n: 4, seed: 1, variant: self.id, mirror: false });
    expect(mirrored.map((p) => p.prompt)).not.toEqual(plain.map((p) => p.prompt));
  });

  it('an experiment planned before its pack had a self variant resumes with its own plan (no new stages)', async () => {
    const db = open('old.db');
    const cfg = config([]);
    const make = (crashAt: { kind: string; count: number } | null) =>
      new ExperimentRunner({ runs: db.runs, db: db.store.db, appVersion: 't', backends: fakeBackends(db.runs, crashAt), packs: db.packs, modelPath: '/m/tiny.gguf', modelSha256: 'a'.repeat(64), hashFile: async () => 'b'.repeat(64), artifactsDir: path.join(dir, 'o'), heldoutText: 'text' });
    let id = '';
    await expect(make({ kind: 'eval', count: 2 }).run(cfg, { onStart: (x) => (id = x) })).rejects.toThrow(/simulated kill/);
    // as stored by a version without the self side: no self scenarios, no self stages
    const stored = db.runs.get(id)!.config as { plan: { scenarios: { role: string }[]; stages: string[] } };
    stored.plan.scenarios = stored.plan.scenarios.filter((x) => x.role !== 'self');
    stored.plan.stages = stored.plan.stages.filter((k) => !k.includes('/self'));
    db.store.db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(JSON.stringify(stored), id);
    const s = await make(null).run(null, { resume: id });
    expect(s.run.status).toBe('done');
    const names = db.runs.list({ parentId: id, limit: 1000 }).map((c) => c.name);
    expect(names.filter((n) => n.includes('/self'))).toEqual([]);
    expect(names.sort()).toEqual([...stored.plan.stages].sort());
    expect(s.selfSide).toEqual([]);
  });

  it('reports the four buckets before and per seed (recomputed from stored responses) in summary, metrics, tables and report', async () => {
    const db = open('run.db');
    const cfg = config([]);
    const runner = new ExperimentRunner({
      runs: db.runs,
      db: db.store.db,
      appVersion: 't',
      backends: fakeBackends(db.runs, null),
      packs: db.packs,
      modelPath: '/m/tiny.gguf',
      modelSha256: 'a'.repeat(64),
      hashFile: async () => 'b'.repeat(64),
      artifactsDir: path.join(dir, 'a'),
      heldoutText: 'text',
    });
    const s = await runner.run(cfg);
    expect(planStages(cfg, db.packs).map((x) => x.key)).toContain('seed 9: eval burglar-house/self/mirror');
    expect(s.scenarios.map((x) => x.key)).toEqual(['burglar-house/main', 'burglar-house/main/mirror']);
    expect(s.selfSide.map((x) => [x.key, x.role])).toEqual([
      ['burglar-house/self', 'self'],
      ['burglar-house/self/mirror', 'self'],
    ]);
    const children = db.runs.list({ parentId: s.run.id, limit: 1000 });
    const rateOf = (name: string, bucket: string) => {
      const rs = db.runs.responses(children.find((c) => c.name === name)!.id);
      expect(rs).toHaveLength(8);
      return rs.filter((r) => r.bucket === bucket).length / rs.length;
    };
    const metrics = new Map(db.runs.metrics(s.run.id).map((m) => [m.name, m]));
    for (const sc of s.selfSide) {
      for (const b of ['deceptive', 'honest', 'neither', 'degenerate'] as const) {
        expect(sc.before![b]).toBe(rateOf(`baseline: eval ${sc.key}`, b));
        const perSeed = [2, 5, 9].map((seed) => rateOf(`seed ${seed}: eval ${sc.key}`, b));
        expect(sc.after![b].perSeed).toEqual([2, 5, 9].map((seed, i) => ({ seed, value: perSeed[i] })));
        const m = perSeed.reduce((a, x) => a + x, 0) / 3;
        expect(sc.after![b].mean).toBeCloseTo(m, 12);
        expect(sc.after![b].sd).toBeCloseTo(Math.sqrt(perSeed.reduce((a, x) => a + (x - m) ** 2, 0) / 3), 12);
        expect(metrics.get(`before.self.${sc.key}.${b}_rate`)!.value).toBe(sc.before![b]);
        expect(metrics.get(`after.self.${sc.key}.${b}_rate`)!.value).toBeCloseTo(m, 12);
      }
    }
    const table = experimentTables(s).find((t) => t.name === 'self_side')!;
    expect(table.columns).toEqual(['scenario', 'phase', 'deceptive', 'honest', 'neither', 'degenerate', 'n']);
    expect(table.rows.filter((r) => r[0] === 'burglar-house/self').map((r) => r[1])).toEqual(['before', 'seed 2', 'seed 5', 'seed 9', 'after mean', 'after sd']);
    expect(table.rows.find((r) => r[0] === 'burglar-house/self' && r[1] === 'seed 5')!.slice(2, 6)).toEqual(
      (['deceptive', 'honest', 'neither', 'degenerate'] as const).map((b) => rateOf('seed 5: eval burglar-house/self', b)),
    );
    const html = experimentReportHtml(s, { appVersion: 't', platform: 'p', node: 'n', generatedAt: 'g' });
    expect(html).toContain('<h2 id="self-side">');
    expect(html).toContain('<table class="self_side">');
    expect(html).toMatch(/Advising itself \(burglar-house\/self\): honest \d/);
  });
});
