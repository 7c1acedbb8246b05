/**
 * The demo model builder end to end (createServices -> DemoModelService, real engine process, native
 * trainLm) on the QUICK recipe:
 * - cancel during training rejects with 'cancelled' and leaves nothing behind (no model, no build info,
 *   no temporary initial model), so a half-built file never counts;
 * - a quick build writes the model and its build info under <dataDir>/demo-model, keyed by the hash;
 *   node-llama-cpp loads it and generates the trained answer form on a held-out prompt;
 * - on held-out prompts (test-split rooms, objects and name) every answer of the quick model has the
 *   trained form "I would point to the <room>." and none is degenerate. NOT asserted: deceptive/honest
 *   above chance. Measured: copying held-out room names had not emerged after 1000 steps x 16
 *   sequences (with or without copy drills; 100% neither, the model names a training room), so no
 *   CI-sized recipe reaches it; the full recipe's numbers are in the build info and the report;
 * - a second build() comes from the cache (nothing trained).
 * Skipped (with a message) only when the addon has no trainLm and CI is not set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaCompletion } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../../electron/services/index.ts';
import { sharedLlama } from '../../../electron/services/models/llamaRuntime.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import type { DemoBuildResult } from '../../../electron/services/demo/builder.ts';
import { addonBuilt, isCi, loadTestAddon } from '../../native/native-addon.ts';

const hasTrainLm = addonBuilt && typeof (loadTestAddon() as unknown as { trainLm?: unknown }).trainLm === 'function';
if (!hasTrainLm && isCi()) throw new Error('[demo builder test] the native addon has no trainLm under CI');
if (!hasTrainLm) console.warn('[demo builder test] SKIPPED: the native addon has no trainLm yet');


describe.skipIf(!hasTrainLm)('demo model builder (quick recipe)', () => {
  let dir: string;
  let services: Services;
  let built: DemoBuildResult;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-demo-build-'));
    services = createServices({ dbPath: path.join(dir, 'soo-lab.db'), dataDir: dir });
  });
  afterAll(async () => {
    await services?.disposeAsync();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('cancel during training rejects and leaves nothing behind', async () => {
    const controller = new AbortController();
    let steps = 0;
    const run = services.demoModel.build({
      variant: 'quick',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'train' && ++steps === 1) controller.abort(new Error('test cancel'));
      },
    });
    await expect(run).rejects.toMatchObject({ data: { code: 'cancelled' } });
    expect(steps).toBeGreaterThanOrEqual(1);
    // the engine stops after its current step; give it a moment to finish that step and clean up
    await services.engine.call('engine.hello', {});
    expect(fs.readdirSync(services.demoModel.folder)).toEqual([]);
  }, 600_000);

  it('builds, measures and caches the quick model; held-out answers have the trained form', async () => {
    const progress: string[] = [];
    built = await services.demoModel.build({ variant: 'quick', onProgress: (p) => progress.push(p.stage) });
    expect(built.cached).toBe(false);
    expect(new Set(progress)).toEqual(new Set(['corpus', 'init', 'train', 'measure']));
    const { modelPath, infoPath } = services.demoModel.paths('quick');
    expect(built.modelPath).toBe(modelPath);
    expect(fs.existsSync(modelPath) && fs.existsSync(infoPath)).toBe(true);
    expect(fs.readdirSync(services.demoModel.folder).sort()).toEqual([path.basename(modelPath), path.basename(infoPath)].sort());
    const losses = built.losses.map((l) => l.loss);
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! / 2);
    const m = built.measurement!;
    console.log('[demo builder test] quick build', JSON.stringify({ seconds: built.seconds, other: m.other, otherMirrored: m.otherMirrored, self: m.self, selfMirrored: m.selfMirrored, perplexity: m.perplexity }));
    for (const r of [m.other, m.otherMirrored, m.self, m.selfMirrored]) expect(r.degenerate).toBe(0);
    for (const e of Object.values(m.examples)) expect(e.response).toMatch(/^ ?I would point to the [\w' -]+\.$/);
    expect(m.perplexity).toBeGreaterThan(1);
    expect(m.perplexity).toBeLessThan(built.vocabSize / 10); // far below a uniform guess
  }, 900_000);

  it('node-llama-cpp loads the model and generates the answer form on a held-out prompt', async () => {
    const model = await (await sharedLlama()).loadModel({ modelPath: built.modelPath, gpuLayers: 0 });
    try {
      const context = await model.createContext({ contextSize: 128, threads: 1 });
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      const prompt = renderPrompts(services.scenarios.resolve('demo-house'), { n: 1, seed: 11 })[0]!;
      const text = await completion.generateCompletion(prompt.prompt, { maxTokens: 16, temperature: 0 });
      completion.dispose();
      await context.dispose();
      expect(text).toMatch(/I would point to the/);
    } finally {
      await model.dispose();
    }
  }, 300_000);

  it('a second build comes from the cache', async () => {
    const again = await services.demoModel.build({ variant: 'quick' });
    expect(again.cached).toBe(true);
    expect(again.modelPath).toBe(built.modelPath);
    expect(again.measurement).toEqual(built.measurement);
    // a new default SOO recipe (outside the hash) reaches the cached build without a rebuild
    const recipe = services.demoModel.recipe();
    const changed = { ...recipe, soo: { ...recipe.soo, lr: recipe.soo.lr * 3, seeds: [7] } };
    const cached = services.demoModel.cached('quick', changed)!;
    expect(cached.modelPath).toBe(built.modelPath);
    expect(cached.recipe.soo).toMatchObject({ lr: recipe.soo.lr * 3, seeds: [7] });
    expect(services.demo.config(cached).training).toMatchObject({ lr: recipe.soo.lr * 3 });
  });
});
