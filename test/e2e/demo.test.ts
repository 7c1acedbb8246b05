/**
 * End to end: the app opens on the Experiments page with the built-in demo model. In a fresh data
 * folder the model is not built: the page offers the build; clicking it builds the QUICK variant (the
 * harness's demoVariant) as a job with a progress bar (seen by a MutationObserver) and fills the form
 * with the demo's ready experiment, which the services accept as is (experiments.check). The build's
 * own held-out measurement is shown. Screenshot: test-output/screenshots/demo-ready.png.
 * Skipped only when the native addon is not built.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startHarness, type Harness } from '../harness/server.ts';
import { openPage, recordAppearances } from '../helpers/browser.ts';
import { addonBuilt } from '../native/native-addon.ts';

declare const window: { __seen: string[] };

const SHOTS = path.resolve('test-output/screenshots');
/** The quick build: ~1-2 min on CI, several on a loaded 2-core box. */
const BUILD_MS = 900_000;

describe.skipIf(!addonBuilt)('the demo model on the Experiments page (browser harness)', () => {
  let tmp: string;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-demo-'));
    await mkdir(SHOTS, { recursive: true });
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db'), demoVariant: 'quick' });
    ({ browser, page, errors } = await openPage({ viewport: { width: 1400, height: 1200 } }));
    await recordAppearances(page, ['demo-build-progress', 'demo-build-stage']);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const t = (id: string) => page.getByTestId(id);

  it('opens on Experiments, builds the demo model with progress, and fills the form with its ready experiment', async () => {
    await page.goto(harness.url);
    await t('page-experiments').waitFor();
    await t('demo-not-built').waitFor();
    expect(await t('exp-model').inputValue()).toBe('');

    await t('demo-build').click();
    await t('demo-built').waitFor({ timeout: BUILD_MS });
    expect(errors).toEqual([]);
    const seen = await page.evaluate(() => window.__seen);
    expect(seen).toContain('demo-build-progress');

    const status = harness.services.demo.status();
    expect(status.built).toBe(true);
    expect(status.variant).toBe('quick');
    // the form holds the ready experiment: the demo model, its pack, raw prompts, the recipe's seeds
    expect(await t('exp-model').inputValue()).toBe(status.modelPath);
    expect(await t('exp-scenario').inputValue()).toBe('demo-house');
    expect(await t('exp-chat').inputValue()).toBe('none');
    const recipe = harness.services.demoModel.recipe();
    expect(await t('exp-seeds').inputValue()).toBe(recipe.soo.seeds.slice(0, 2).join(', '));
    // the shown measurement is the build's own
    const m = status.measurement!;
    expect(await t('demo-built').textContent()).toContain(`deceptive ${Math.round(100 * m.other.deceptive)}% when the other party asks`);
    // a build that misses the organism's bar says where, line for line as the services judge it
    if (status.problems.length > 0) expect(await t('demo-problems').locator('li').allTextContents()).toEqual(status.problems);
    else expect(await t('demo-problems').count()).toBe(0);
    // and drawn: deceptive and honest bars per held-out condition, as measured (read back from the chart)
    const canvas = t('demo-measured-chart').locator('canvas');
    await expect.poll(() => canvas.getAttribute('data-series')).not.toBeNull();
    const drawn = JSON.parse((await canvas.getAttribute('data-series'))!) as { label: string; values: number[] }[];
    expect(drawn.map((x) => x.label)).toEqual(['deceptive', 'honest']);
    const conditions = [m.other, m.otherMirrored, m.self, m.selfMirrored];
    drawn[0]!.values.forEach((v, i) => expect(v).toBeCloseTo(conditions[i]!.deceptive, 3));
    drawn[1]!.values.forEach((v, i) => expect(v).toBeCloseTo(conditions[i]!.honest, 3));
    // and the services accept that config as is: SOO layer, lr and targets from the recipe, the demo's held-out text
    const { config, stages } = await harness.services.experimentViews.check(status.config);
    const training = config.training as { layer: number; lr: number; targets: string[] };
    expect(training.layer).toBe(recipe.soo.layer);
    expect(training.lr).toBe(recipe.soo.lr);
    expect(training.targets).toEqual(recipe.soo.targets);
    expect(stages.some((s) => s.includes('eval demo-house/self'))).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'demo-ready.png'), fullPage: true });

    // the whole config as JSON: the demo's settings without a form field are there; a syntax error names its line
    await t('exp-json-mode').check();
    const json = JSON.parse(await t('exp-json').inputValue()) as { training: { layer: number; lr: number } };
    expect(json.training).toMatchObject({ layer: recipe.soo.layer, lr: recipe.soo.lr });
    await t('exp-json').fill('{\n  "model": "x.gguf",\n  seeds: [0]\n}');
    await t('exp-run').click();
    await expect.poll(() => t('exp-error').textContent()).toMatch(/the config JSON: line 3, column 3/);
    expect(harness.services.runs.list({ kind: 'experiment' })).toHaveLength(0);
    await t('exp-json-mode').uncheck();

    // Run: the experiment the form starts carries the recipe's SOO settings (no form field for them)
    await t('exp-run').click();
    await t('exp-progress').waitFor();
    await expect.poll(() => harness.services.runs.list({ kind: 'experiment' }).length).toBe(1);
    const run = harness.services.runs.list({ kind: 'experiment' })[0]!;
    const stored = (run.config as { effective: { model: string; training: { layer: number; lr: number; positions: string }; capability: { perplexityFile?: string } } }).effective;
    expect(stored.model).toBe(status.modelPath);
    expect(stored.training).toMatchObject({ layer: recipe.soo.layer, lr: recipe.soo.lr, positions: recipe.soo.positions });
    expect(stored.capability.perplexityFile).toMatch(/\.heldout\.txt$/);
    await t('exp-cancel').click();
    await expect.poll(() => harness.services.runs.get(run.id)?.status, { timeout: 120_000 }).not.toBe('running');
    expect(errors).toEqual([]);
  }, BUILD_MS + 60_000);
});
