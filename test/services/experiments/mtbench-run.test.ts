/**
 * The MT-Bench stage inside an experiment:
 * - with two tiny random models (evaluated model and judge, node-llama-cpp) and real LoRA adapters per
 *   seed: every question turn is stored with the answer, the judge's raw output and its rating, the
 *   turn-2 prompt carries the turn-1 exchange, the adapter changes the answers, each stored status and
 *   rating equals what the parser reads from the stored judge output (a random judge writes no rating:
 *   recorded as 'none', not 0), the stage metrics equal a recomputation from the stored rows;
 * - with a fake judge (no model) whose ratings are set per seed: the per-seed scores, their mean and
 *   population SD, a seed without any readable rating left out of the mean, and resume after a kill
 *   in the middle of an MT-Bench stage (no row twice, same rows as an uninterrupted run).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentBackends } from '../../../electron/services/experiments/backends.ts';
import { resolveExperimentConfig, type ExperimentConfig } from '../../../electron/services/experiments/config.ts';
import { runMtBench, scoreJudgements } from '../../../electron/services/experiments/mtbench.ts';
import { parseRating } from '../../../electron/services/experiments/mtbenchJudge.ts';
import { readMtBenchQuestions, type MtBenchQuestion } from '../../../electron/services/experiments/mtbenchQuestions.ts';
import { MtBenchRepository, type MtBenchJudgementRow } from '../../../electron/services/experiments/mtbenchStore.ts';
import { planStages, type ResolvedPacks } from '../../../electron/services/experiments/plan.ts';
import { ExperimentRunner } from '../../../electron/services/experiments/runner.ts';
import { ExperimentService } from '../../../electron/services/experiments/service.ts';
import { loadModel } from '../../../electron/services/models/modelFile.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { experimentReportHtml } from '../../../electron/services/reports/html.ts';
import { exportRun } from '../../../electron/services/reports/runExport.ts';
import { experimentTables } from '../../../electron/services/reports/tables.ts';
import { ScenarioService } from '../../../electron/services/scenarios/service.ts';
import { openDatabase, PackRepository, RunRepository, type Store } from '../../../electron/services/store/index.ts';
import { THREADS } from '../../native/native-addon.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { writeLlamaLora } from '../evaluation/helpers.ts';
import { fakeBackends, h } from './fakes.ts';

let dir: string;
const stores: Store[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-mtb-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(name: string): { store: Store; runs: RunRepository; packs: ResolvedPacks } {
  const store = openDatabase(path.join(dir, name));
  stores.push(store);
  const scenarios = new ScenarioService({ packs: new PackRepository(store.db), builtinDir: path.join(RESOURCES_DIR, 'scenarios') });
  return { store, runs: new RunRepository(store.db), packs: { main: scenarios.resolve('burglar-house'), generalisation: [], control: null } };
}

/** Three questions, 2 + 2 + 1 turns, one with references. */
function writeQuestions(file: string): MtBenchQuestion[] {
  const lines = [
    { question_id: 81, category: 'writing', turns: ['Write one line about the sea.', 'Now say it about a river.'] },
    { question_id: 102, category: 'math', turns: ['What is three plus four?', 'And times two?'], reference: ['Seven.', 'Fourteen.'] },
    { question_id: 7, category: 'reasoning', turns: ['Is a cat a mammal?'] },
  ];
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return readMtBenchQuestions(file);
}

function config(questions: string, judgeModel: string, extra: Record<string, unknown> = {}): ExperimentConfig {
  return resolveExperimentConfig({
    model: 'tiny.gguf',
    preset: 'tiny',
    seeds: [0, 1],
    variants: [],
    generalisation: [],
    control: null,
    mirror: false,
    evaluation: { n: 2, maxTokens: 4, chatTemplate: 'none' }, // MT-Bench keeps its own format (chat template by default)
    training: { pairs: 2, epochs: 1, batch: 2 },
    latent: { pairs: 2, layers: [0] },
    capability: { perplexity: false, mtBench: { questions, judgeModel, maxTokens: 6, judgeMaxTokens: 12, ...extra } },
  });
}

function runner(db: ReturnType<typeof open>, backends: ExperimentBackends, questions: MtBenchQuestion[], artifacts: string): ExperimentRunner {
  return new ExperimentRunner({
    runs: db.runs,
    db: db.store.db,
    appVersion: 't',
    backends,
    packs: db.packs,
    modelPath: '/m/tiny.gguf',
    modelSha256: 'a'.repeat(64),
    hashFile: async () => 'b'.repeat(64),
    artifactsDir: artifacts,
    heldoutText: 'text',
    mtBench: { questions, judgeSha256: 'c'.repeat(64) },
  });
}

describe('MT-Bench stage on tiny models (evaluated model + local judge)', () => {
  let model: LlamaModel;
  let judge: LlamaModel;
  let judgePath: string;
  beforeAll(async () => {
    model = await loadModel(await tinyModel({ arch: 'llama', type: 'f32' }));
    judgePath = await tinyModel({ arch: 'llama', type: 'f32', seed: 11 });
    judge = await loadModel(judgePath);
  });
  afterAll(async () => {
    await model?.dispose();
    await judge?.dispose();
  });

  it('stores every question, answer, judge output and rating per phase; unreadable ratings stay unreadable', async () => {
    const db = open('real.db');
    const questions = writeQuestions(path.join(dir, 'questions.jsonl'));
    const cfg = config(path.join(dir, 'questions.jsonl'), judgePath);
    expect(planStages(cfg, db.packs).filter((s) => s.kind === 'mtbench').map((s) => s.key)).toEqual(['baseline: mtbench', 'seed 0: mtbench', 'seed 1: mtbench']);
    const fakes = fakeBackends(db.runs, null);
    const backends: ExperimentBackends = {
      ...fakes,
      // a real adapter per seed (random LoRA on attn_q / attn_v), so "with the adapter" is real
      train: async (input, options) => {
        options?.onStep?.({ step: 1, nSteps: 1, loss: 1, stepMs: 1 });
        await writeLlamaLora(input.outPath, { layers: 2, nEmbd: 64, seed: input.seed + 1 });
        return { adapterPath: input.outPath, losses: [1] };
      },
      mtBench: (input, options) =>
        runMtBench(model, judge, {
          questions: input.questions,
          maxTokens: input.maxTokens,
          judgeMaxTokens: input.judgeMaxTokens,
          chatTemplate: input.chatTemplate,
          lora: input.adapterPath ? { path: input.adapterPath } : undefined,
          threads: THREADS,
          signal: options?.signal,
        }),
    };
    const summary = await runner(db, backends, questions, path.join(dir, 'art')).run(cfg);
    expect(summary.run.status).toBe('done');

    const store = new MtBenchRepository(db.store.db);
    const children = db.runs.list({ parentId: summary.run.id, limit: 1000 });
    const byPhase = new Map<string, MtBenchJudgementRow[]>();
    for (const name of ['baseline: mtbench', 'seed 0: mtbench', 'seed 1: mtbench']) {
      const child = children.find((c) => c.name === name)!;
      expect(child).toMatchObject({ kind: 'eval', status: 'done' });
      expect(child.config).toMatchObject({ capability: 'mtbench', judgeModel: judgePath, judgeSha256: 'c'.repeat(64), questionCount: 3 });
      expect(child.adapterPath === null).toBe(name === 'baseline: mtbench');
      const rows = store.list(child.id);
      byPhase.set(name, rows);
      expect(rows.map((r) => `${r.questionId}/${r.turn}`)).toEqual(['7/1', '81/1', '81/2', '102/1', '102/2']);
      for (const r of rows) {
        const q = questions.find((x) => x.id === r.questionId)!;
        expect(r.question).toBe(q.turns[r.turn - 1]);
        expect(r.category).toBe(q.category);
        expect(r.reference).toBe(q.references[r.turn - 1]);
        expect(r.prompt).toContain(`[INST]${r.question}[/INST]`); // the tiny vocab's Mistral template
        expect(r.judgePrompt).toContain(r.question);
        expect(r.judgePrompt).toContain(r.answer);
        if (r.reference) expect(r.judgePrompt).toContain(r.reference);
        // the stored status and rating are what the parser reads from the stored judge output
        const parsed = parseRating(r.judgeOutput);
        expect({ rating: r.rating, status: r.ratingStatus }).toEqual({ rating: parsed.rating, status: parsed.status });
        expect(r.rating === null).toBe(r.ratingStatus !== 'ok');
      }
      // turn 2 continues the conversation: turn 1's question and the model's own turn-1 answer come first
      for (const id of ['81', '102']) {
        const [t1, t2] = [rows.find((r) => r.questionId === id && r.turn === 1)!, rows.find((r) => r.questionId === id && r.turn === 2)!];
        expect(t2.prompt.startsWith(t1.prompt.slice(0, t1.prompt.indexOf('[/INST]')))).toBe(true);
        expect(t2.prompt).toContain(t1.answer);
        expect(t2.judgePrompt).toContain(t1.question);
      }
      // the metrics are the stored rows' score: a missing rating counts as unreadable, never as 0
      const metrics = new Map(db.runs.metrics(child.id).map((m) => [m.name, m]));
      const expected = scoreJudgements(rows);
      expect(metrics.get('mtbench_score')!.value).toBe(expected.score);
      expect(metrics.get('mtbench_unreadable')!.value).toBe(rows.filter((r) => r.ratingStatus !== 'ok').length);
      expect(metrics.get('mtbench_score.turn_2')!.detail).toEqual({ n: 2, rated: rows.filter((r) => r.turn === 2 && r.ratingStatus === 'ok').length });
    }
    // the adapters change what the model answers
    const answers = (name: string) => byPhase.get(name)!.map((r) => r.answer);
    expect(answers('seed 0: mtbench')).not.toEqual(answers('baseline: mtbench'));
    expect(answers('seed 1: mtbench')).not.toEqual(answers('baseline: mtbench'));

    // the summary reads the same stored runs
    expect(summary.mtBench!.before!.runId).toBe(children.find((c) => c.name === 'baseline: mtbench')!.id);
    expect(summary.mtBench!.afterRuns.map((r) => r.seed)).toEqual([0, 1]);
    expect(summary.mtBench!.before!.n).toBe(5);
    // deleting the experiment deletes its judgements (ON DELETE CASCADE)
    db.runs.delete(summary.run.id);
    expect(db.store.db.prepare('SELECT COUNT(*) AS n FROM mtbench_judgements').get()).toEqual({ n: 0 });
  }, 300_000);
});

describe('MT-Bench in the config check', () => {
  it('parses the question file (errors name file, line, field), checks the judge is a GGUF, records absolute paths', async () => {
    const db = open('check.db');
    const scenarios = new ScenarioService({ packs: new PackRepository(db.store.db), builtinDir: path.join(RESOURCES_DIR, 'scenarios') });
    // check() needs neither the engine nor activations
    const service = new ExperimentService({ store: db.store, runs: db.runs, scenarios, engine: null as never, activations: null as never, appVersion: 't', resourcesDir: RESOURCES_DIR });
    const model = await tinyModel({ arch: 'llama', type: 'f32' });
    const good = path.join(dir, 'good.jsonl');
    writeQuestions(good);
    const input = (questions: string, judgeModel: string) => ({ model, capability: { mtBench: { questions, judgeModel } } });
    const checked = await service.check(input(path.relative(process.cwd(), good), model));
    expect(checked.config.capability.mtBench).toEqual({ questions: good, judgeModel: model, maxTokens: 512, judgeMaxTokens: 256, chatTemplate: 'auto' });
    expect(checked.mtBenchQuestions).toHaveLength(3);

    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, `${JSON.stringify({ question_id: 1, category: 'a', turns: ['x'] })}\n${JSON.stringify({ question_id: 2, category: 'b', turns: 'y' })}\n`);
    await expect(service.check(input(bad, model))).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/bad\.jsonl:2: \$\.turns: /) });
    await expect(service.check(input(path.join(dir, 'none.jsonl'), model))).rejects.toMatchObject({ data: { path: '$.capability.mtBench.questions' } });
    await expect(service.check(input(good, good))).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('$.capability.mtBench.judgeModel') });
    await expect(service.check({ model, capability: { mtBench: { questions: good } } })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('$.capability.mtBench.judgeModel') });
  });
});

describe('MT-Bench aggregation and resume (fake judge)', () => {
  /** Ratings per phase: baseline 7,7,(two ratings); seed 0: 8,6,(none),9,3; seed 1: nothing readable. */
  const verdicts: Record<string, string[]> = {
    base: ['[[7]]', 'Rating: 7', '[[2]] or [[9]]', '[[7]]', '[[7]]'],
    'seed-0.gguf': ['[[8]]', '[[6]]', 'no idea', '[[9]]', '[[3]]'],
    'seed-1.gguf': ['fine', '', '[[0]]', 'ok', 'good'],
  };
  function judgeBackends(runs: RunRepository, crashAt: { kind: string; count: number } | null): ExperimentBackends {
    let calls = 0;
    return {
      ...fakeBackends(runs, null),
      mtBench: async (input) => {
        calls++;
        if (crashAt?.kind === 'mtbench' && crashAt.count === calls) throw new Error(`simulated kill during mtbench #${calls}`);
        const key = input.adapterPath ? path.basename(input.adapterPath) : 'base';
        const turns = input.questions.flatMap((q) => q.turns.map((question, t) => ({ q, question, t })));
        const rows = turns.map(({ q, question, t }, k) => {
          const parsed = parseRating(verdicts[key]![k]!);
          return {
            questionId: q.id, turn: t + 1, category: q.category, question, reference: q.references[t] ?? null,
            prompt: question, answer: `answer ${h(`${key}|${k}`)}`, answerStop: 'eog' as const,
            judgePrompt: 'grade', judgeOutput: verdicts[key]![k]!, rating: parsed.rating, ratingStatus: parsed.status,
          };
        });
        return { rows, score: scoreJudgements(rows), chatTemplate: null, judgeChatTemplate: null };
      },
    };
  }

  it('aggregates per-seed scores to mean and population SD, leaving out a seed with no readable rating', async () => {
    const db = open('fake.db');
    const questions = writeQuestions(path.join(dir, 'q.jsonl'));
    const s = await runner(db, judgeBackends(db.runs, null), questions, path.join(dir, 'a')).run(config(path.join(dir, 'q.jsonl'), '/m/judge.gguf'));
    expect(s.mtBench!.before).toMatchObject({ score: 7, n: 5, rated: 4 });
    expect(s.mtBench!.afterRuns.map((r) => [r.seed, r.score, r.rated])).toEqual([
      [0, (8 + 6 + 9 + 3) / 4, 4],
      [1, null, 0],
    ]);
    expect(s.mtBench!.after).toEqual({ mean: 6.5, sd: 0, perSeed: [{ seed: 0, value: 6.5 }] });
    const metrics = new Map(db.runs.metrics(s.run.id).map((m) => [m.name, m.value]));
    expect(metrics.get('before.mtbench_score')).toBe(7);
    expect(metrics.get('after.mtbench_score')).toBe(6.5);
    const seed1 = db.runs.list({ parentId: s.run.id, limit: 100 }).find((c) => c.name === 'seed 1: mtbench')!;
    const statuses = new MtBenchRepository(db.store.db).list(seed1.id).map((r) => r.ratingStatus);
    expect(statuses.sort()).toEqual(['none', 'none', 'none', 'none', 'out_of_range']);
    // tables and report carry the score
    const tables = experimentTables(s);
    expect(tables.find((t) => t.name === 'capability')!.rows).toContainEqual(['MT-Bench-style score (1-10, local judge)', 7, 6.5, 0]);
    expect(tables.find((t) => t.name === 'mtbench')!.rows).toEqual([
      ['before', 7, 4, 5],
      ['seed 0', 6.5, 4, 5],
      ['seed 1', null, 0, 5],
    ]);
    const html = experimentReportHtml(s, { appVersion: 't', platform: 'p', node: 'n', generatedAt: 'g' });
    expect(html).toContain('MT-Bench-style score (local judge, 1-10): 7.00 before (4 of 5 judgements readable), 6.50 ± 0.00 after over 2 seeds (1 with a readable rating).');
    expect(html).toContain('<table class="mtbench">');
    // the run export carries the judgements of the MT-Bench stages, and only there
    const exported = exportRun(db.runs, s.run, (id) => new MtBenchRepository(db.store.db).list(id));
    const withRows = exported.children.filter((c) => c.mtbenchJudgements);
    expect(withRows.map((c) => c.run.name).sort()).toEqual(['baseline: mtbench', 'seed 0: mtbench', 'seed 1: mtbench']);
    expect(withRows.find((c) => c.run.name === 'seed 1: mtbench')!.mtbenchJudgements!.map((r) => r.judgeOutput)).toEqual(
      new MtBenchRepository(db.store.db).list(seed1.id).map((r) => r.judgeOutput),
    );
  });

  it('resumes after a kill during the second MT-Bench stage: same judgements, none twice', async () => {
    const questions = writeQuestions(path.join(dir, 'q.jsonl'));
    const cfg = config(path.join(dir, 'q.jsonl'), '/m/judge.gguf');
    const dumpRows = (db: ReturnType<typeof open>, id: string) =>
      db.runs
        .list({ parentId: id, limit: 100 })
        .filter((c) => c.name.endsWith('mtbench'))
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((c) => ({ name: c.name, rows: new MtBenchRepository(db.store.db).list(c.id), metrics: db.runs.metrics(c.id) }));
    const ref = open('ref.db');
    const refRun = await runner(ref, judgeBackends(ref.runs, null), questions, path.join(dir, 'ref')).run(cfg);

    const db = open('crash.db');
    let id = '';
    await expect(runner(db, judgeBackends(db.runs, { kind: 'mtbench', count: 2 }), questions, path.join(dir, 'c')).run(cfg, { onStart: (x) => (id = x) })).rejects.toThrow(/simulated kill/);
    const resumed = await runner(db, judgeBackends(db.runs, null), questions, path.join(dir, 'c')).run(null, { resume: id });
    expect(resumed.run.status).toBe('done');
    expect(dumpRows(db, id)).toEqual(dumpRows(ref, refRun.run.id));
    expect(db.store.db.prepare('SELECT COUNT(*) AS n FROM mtbench_judgements').get()).toEqual({ n: 15 });
  });
});
