/**
 * End to end: the Experiments and Runs pages in Chromium against the browser harness, on a tiny random
 * model (2 seeds, n = 4, 4 training steps): configure with the tiny preset, run, see per-stage progress
 * (seen by a MutationObserver), the live loss chart, the before/after bars with error bars (the chart's
 * drawn bars and whiskers against the stored rates and the SD over seeds), the per-seed
 * table (checked against the services' stored results) and the response browser filtered by bucket;
 * then open the run in the Runs page's comparison with a second experiment (diff-only config).
 * Screenshots: test-output/screenshots/experiments-results.png, runs-compare.png.
 * Skipped only when the native addon is not built (the pages are hidden then).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { BucketName, ScenarioResultView } from '../../electron/contract/experiments.ts';
import { startHarness, type Harness } from '../harness/server.ts';
import { openPage, recordAppearances } from '../helpers/browser.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt } from '../native/native-addon.ts';

declare const window: { __seen: string[] };

const SHOTS = path.resolve('test-output/screenshots');
const JOB_MS = 400_000;

describe.skipIf(!addonBuilt)('Experiments and Runs pages (browser harness, tiny model)', () => {
  let tmp: string;
  let modelPath: string;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];
  let firstRunId = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-exp-'));
    await mkdir(SHOTS, { recursive: true });
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    ({ browser, page, errors } = await openPage({ viewport: { width: 1400, height: 1600 } }));
    await recordAppearances(page, ['exp-progress', 'exp-loss-chart']);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const t = (id: string) => page.getByTestId(id);

  /**
   * The before/after chart `testid` against the stored results: the bar heights and ±SD whisker ends the
   * chart drew (read back from their pixels by lib/charts/errorBars.ts onto the canvas) equal the stored
   * before rate, the mean over seeds and mean ± the population SD computed here from the per-seed rates.
   */
  async function expectBars(testid: string, scenarios: ScenarioResultView[], bucket: BucketName): Promise<void> {
    const canvas = t(testid).locator('canvas');
    await expect.poll(() => canvas.getAttribute('data-whiskers')).not.toBeNull();
    const series = JSON.parse((await canvas.getAttribute('data-series'))!) as { label: string; values: (number | null)[] }[];
    const drawn = JSON.parse((await canvas.getAttribute('data-whiskers'))!) as { series: number; index: number; low: number; high: number }[];
    expect(series.map((s) => s.label)).toEqual(['before', 'after SOO']);
    expect(drawn.map((w) => [w.series, w.index])).toEqual(scenarios.map((_, k) => [1, k])); // whiskers on the after bars only
    scenarios.forEach((s, k) => {
      expect(series[0]!.values[k]).toBeCloseTo(s.before![bucket], 3);
      const seeds = s.after![bucket].perSeed.map((p) => p.value);
      expect(seeds).toHaveLength(2);
      const mean = seeds.reduce((a, v) => a + v, 0) / seeds.length;
      const sd = Math.sqrt(seeds.reduce((a, v) => a + (v - mean) ** 2, 0) / seeds.length);
      expect(series[1]!.values[k]).toBeCloseTo(mean, 3);
      expect(drawn[k]!.low).toBeCloseTo(Math.max(0, mean - sd), 3);
      expect(drawn[k]!.high).toBeCloseTo(Math.min(1, mean + sd), 3);
    });
  }

  it('configures, runs with progress and a live loss chart, and shows the results', async () => {
    await page.goto(harness.url);
    await t('nav-experiments').click();
    await t('page-experiments').waitFor();
    await t('preset-tiny').check();
    await t('exp-name').fill('e2e tiny');
    await t('exp-model').fill(modelPath);
    await t('exp-seeds').fill('0, 1');
    await t('exp-n').fill('4');
    await t('exp-max-tokens').fill('6');
    await t('exp-variants').fill('');
    await t('exp-generalisation').fill('');
    await t('exp-control').fill('');
    await t('exp-pairs').fill('4');
    await t('exp-epochs').fill('2');
    await t('exp-self-anchor').fill('0.5');
    await t('exp-chat').selectOption('none');
    await t('exp-run').click();
    await t('exp-results').waitFor({ timeout: JOB_MS });
    expect(errors).toEqual([]);
    const seen = await page.evaluate(() => window.__seen);
    expect(seen).toContain('exp-progress');
    expect(seen).toContain('exp-loss-chart');

    const exp = harness.services.runs.list({ kind: 'experiment' })[0]!;
    firstRunId = exp.id;
    expect(exp.status).toBe('done');
    expect((exp.config as { effective: { training: { selfAnchor: number } } }).effective.training.selfAnchor).toBe(0.5);
    const view = harness.services.experimentViews.get(exp.id);
    // bars per scenario (main, mirror): what the chart drew agrees with the stored rates and the SD over seeds
    expect(view.scenarios.map((s) => s.key)).toEqual(['burglar-house/main', 'burglar-house/main/mirror']);
    for (const b of ['deceptive', 'honest', 'neither', 'degenerate'] as const) await expectBars(`bars-${b}`, view.scenarios, b);
    // the self side (the pack's self-advising variant and its mirror): bars and its per-seed table
    expect(view.selfSide.map((s) => s.key)).toEqual(['burglar-house/self', 'burglar-house/self/mirror']);
    await expectBars('self-bars-honest', view.selfSide, 'honest');
    expect(await t('table-self_side').locator('tbody tr').count()).toBe(view.tables.find((x) => x.name === 'self_side')!.rows.length);
    // per-seed table = the stored per-seed rows
    const perSeed = view.tables.find((x) => x.name === 'per_seed')!;
    expect(await t('table-per_seed').locator('tbody tr').count()).toBe(perSeed.rows.length);
    expect(perSeed.rows).toHaveLength(2 * 2);
    // response browser: all 4 responses of the first eval, then a bucket filter agreeing with the store
    await expect.poll(() => t('response-row').count()).toBe(4);
    const firstEval = view.children.find((c) => c.name === 'baseline: eval burglar-house/main')!;
    const neither = harness.services.experimentViews.responses(firstEval.id, 'neither').length;
    await t('response-bucket').selectOption('neither');
    await expect.poll(() => t('response-row').count()).toBe(neither);
    await page.screenshot({ path: path.join(SHOTS, 'experiments-results.png'), fullPage: true });
  }, JOB_MS + 60_000);

  it('opens the run in the Runs comparison with a second experiment (diff-only config)', async () => {
    const config = { ...(harness.services.runs.get(firstRunId)!.config as { effective: Record<string, unknown> }).effective, name: 'e2e tiny seed 5', seeds: [5] };
    await harness.services.experiments.run(config);
    await t('nav-runs').click();
    await t('page-runs').waitFor();
    await expect.poll(() => t('run-row').count()).toBe(2);
    for (const box of await t('runs-table').locator('input[type=checkbox]').all()) await box.check();
    await t('runs-compare').click();
    await t('runs-comparison').waitFor();
    const diff = await t('config-diff').textContent();
    expect(diff).toContain('seeds');
    expect(diff).toContain('name');
    expect(diff).not.toContain('preset'); // equal fields are not shown
    expect(await t('compare-bars').count()).toBe(2);
    await t('runs-filter').fill('seed 5');
    await expect.poll(() => t('run-row').count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'runs-compare.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, JOB_MS);
});
