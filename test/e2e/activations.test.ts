/**
 * End to end: the Activations page (and the designer's tokenizer hook) in Debian's Chromium against the
 * browser harness, with a tiny random model and a random LoRA adapter on its attn_q/attn_v.
 * - A bad model path shows a readable error naming the file; a good one shows the header summary.
 * - Compute shows progress (seen by a MutationObserver, however short the job), then the layer
 *   heatmap (base and adapter rows) and the line chart; the heatmap's colour range and the pairs table
 *   agree with the job's result held by the services.
 * - A pair opens its per-token heatmaps (base and adapter, token strings on the axis).
 * - CSV and JSON exports download and hold the job's numbers.
 * - Cancel ends a running job as cancelled, without an error banner.
 * - In the Scenarios designer, choosing the model fills the Tokens column and flags a pair reworded
 *   to break alignment with a red badge and a summary line.
 * Screenshots: test-output/screenshots/activations-heatmap.png, designer-token-counts.png. Fails on console errors and CSP violations.
 * Skipped only when the native addon is not built (the page is hidden then).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { LatentResult } from '../../electron/contract/api.ts';
import { startHarness, type Harness } from '../harness/server.ts';
import { chromiumPath } from '../helpers/browser.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt } from '../native/native-addon.ts';
import { writeRandomLora } from '../services/activations/lora.ts';

/** Browser globals used inside page.evaluate / addInitScript callbacks (this file is type-checked without DOM). */
declare const window: { __csp: string[]; __seen: string[] };
declare const document: {
  addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  querySelector(selector: string): unknown;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean }): void;
}

const SCREENSHOT = path.resolve('test-output/screenshots/activations-heatmap.png');
const DESIGNER_SCREENSHOT = path.resolve('test-output/screenshots/designer-token-counts.png');
const STEP_MS = 20_000;
/** A latent job on the tiny model: seconds, but the 2-core machine is often shared with builds. */
const JOB_MS = 180_000;
/** Probe pairs per job. */
const N = 16;
const LAYERS = 6;

/** The renderer's number format (lib/charts/colorScale.ts formatValue), restated. */
function shortNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toPrecision(3);
}

describe.skipIf(!addonBuilt)('Activations page (browser harness, tiny model)', () => {
  let tmp: string;
  let modelPath: string;
  let adapterPath: string;
  let harness: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-act-'));
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: LAYERS, kvHeads: 2 });
    adapterPath = await writeRandomLora(modelPath, path.join(tmp, 'adapter.gguf'), { rank: 4, alpha: 16, bStd: 0.08 });
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1560, height: 1360 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    await page.addInitScript(() => {
      const csp: string[] = [];
      window.__csp = csp;
      document.addEventListener('securitypolicyviolation', (e) => csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      // Records which test ids ever appeared, however briefly (the progress bar of a fast job).
      const seen: string[] = [];
      window.__seen = seen;
      const watch = ['latent-progress'];
      new MutationObserver(() => {
        for (const id of watch) if (!seen.includes(id) && document.querySelector(`[data-testid="${id}"]`)) seen.push(id);
      }).observe(document, { childList: true, subtree: true }); // documentElement does not exist yet here
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const byTestId = (id: string) => page.getByTestId(id);

  /** The result of the latest finished latent job, read from the services behind the harness. */
  function lastResult(): LatentResult {
    const job = harness.services.jobs.list().filter((j) => j.kind === 'latent' && j.state === 'done').at(-1);
    expect(job).toBeDefined();
    const result = harness.services.activationsJobs.result(job!.jobId);
    expect(result).toBeDefined();
    return result!;
  }

  it('lists the page, explains a bad model path, and summarizes a good one', async () => {
    await page.goto(harness.url);
    await byTestId('nav-activations').click();
    await byTestId('page-activations').waitFor();

    const missing = path.join(tmp, 'missing.gguf');
    await byTestId('model-path').fill(missing);
    await byTestId('model-path').press('Enter');
    await expectText(byTestId('model-error'), new RegExp(`model file not found: ${missing.replace(/[.]/g, '\\.')}`));
    expect(await byTestId('compute-latent').isDisabled()).toBe(true);

    await byTestId('model-path').fill(modelPath);
    await byTestId('model-path').press('Enter');
    await expectText(byTestId('model-summary'), /llama/);
    expect(await byTestId('model-layers').textContent()).toBe(`${LAYERS} layers`);
    expect(await byTestId('compute-latent').isDisabled()).toBe(false);
  });

  it('computes latent SOO with progress, then shows the layer heatmap and the line chart', async () => {
    await byTestId('pack-select').selectOption('burglar-house');
    await byTestId('pairs-n').fill(String(N));
    await byTestId('positions').selectOption('full');
    await byTestId('adapter-path').fill(adapterPath);
    await byTestId('compute-latent').click();
    await byTestId('layer-heatmap').waitFor({ timeout: JOB_MS });
    expect(await page.evaluate(() => window.__seen)).toContain('latent-progress');

    const r = lastResult();
    expect(r.adapterPath).toBe(adapterPath);
    expect(r.n).toBe(N);
    expect(r.layers).toEqual(Array.from({ length: LAYERS }, (_, i) => i));
    // The adapter changes q and v, so attention outputs of self and other move apart differently.
    expect(r.adapter!.map((l) => l.mean)).not.toEqual(r.base.map((l) => l.mean));
    const max = Math.max(...r.base.map((l) => l.mean), ...r.adapter!.map((l) => l.mean));
    expect(await byTestId('layer-heatmap-max').textContent()).toBe(shortNumber(max));
    expect(await byTestId('layer-heatmap-min').textContent()).toBe('0');
    await expectCount(byTestId('pair-row'), N);
    const firstRowBase = r.base.reduce((a, l) => a + l.perPair[0]!, 0) / r.base.length;
    expect(await byTestId('pair-row').first().locator('td').nth(2).textContent()).toBe(shortNumber(firstRowBase));
    await byTestId('layer-line').locator('canvas').waitFor();
    await expectText(byTestId('latent-meta'), new RegExp(`${N} probe pairs of burglar-house · positions full · attn_out`));
  });

  it('opens the per-token heatmaps of a pair, base and adapter, with the tokens on the axis', async () => {
    await byTestId('pair-row').nth(2).click();
    await byTestId('token-heatmap-base').waitFor({ timeout: JOB_MS });
    await byTestId('token-heatmap-adapter').waitFor();
    // The per-token values average to the pair's 'full' value at each layer (checked in the services'
    // test); here: the shared colour range covers both matrices.
    const maxText = await byTestId('token-heatmap-base-max').textContent();
    expect(await byTestId('token-heatmap-adapter-max').textContent()).toBe(maxText);
    await byTestId('latent-results').evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  });

  it('exports the numbers as CSV and JSON', async () => {
    const r = lastResult();
    const [csv] = await Promise.all([page.waitForEvent('download'), byTestId('export-csv').click()]);
    expect(csv.suggestedFilename()).toMatch(/^latent-.*-adapter-full\.csv$/);
    const lines = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('model,layer,statistic,pair,token,value');
    const row = (model: string, layer: number, statistic: string, pair = '') =>
      lines.find((l) => l.startsWith(`${model},${layer},${statistic},${pair},`));
    expect(Number(row('base', 3, 'mean')!.split(',')[5])).toBe(r.base[3]!.mean);
    expect(Number(row('adapter', LAYERS - 1, 'pair', '5')!.split(',')[5])).toBe(r.adapter![LAYERS - 1]!.perPair[5]);
    expect(lines.filter((l) => l.split(',')[2] === 'pair')).toHaveLength(2 * LAYERS * N);
    expect(lines.some((l) => /^base,0,token,2,0,/.test(l))).toBe(true); // the per-token view opened above

    const [json] = await Promise.all([page.waitForEvent('download'), byTestId('export-json').click()]);
    const data = JSON.parse(await readFile((await json.path())!, 'utf8')) as LatentResult & { format: string; perToken: unknown[] };
    expect(data.format).toBe('soo-lab.latent');
    expect(data.base).toEqual(r.base);
    expect(data.adapter).toEqual(r.adapter);
    expect(data.perToken).toHaveLength(1);
  });

  it('cancels a running job without an error banner', async () => {
    const before = lastResult();
    await byTestId('pairs-n').fill('400'); // long enough to be cancelled while it runs
    await byTestId('compute-latent').click();
    await byTestId('cancel-latent').click();
    await byTestId('compute-latent').waitFor();
    expect(harness.services.jobs.list().at(-1)!.state).toBe('cancelled');
    await expectText(byTestId('latent-notice'), /cancelled/i);
    expect(await byTestId('error-banner').count()).toBe(0);
    // The previous result stays on screen.
    expect(lastResult()).toBe(before);
    await byTestId('layer-heatmap').waitFor();
  });

  it('the designer counts tokens per pair with the chosen model and flags misaligned pairs', async () => {
    await byTestId('nav-scenarios').click();
    await page.locator('[data-testid="pack-item"][data-pack-id="burglar-house"]').click();
    await byTestId('duplicate-pack').click();
    await byTestId('preview-set').selectOption('probe');
    await byTestId('preview-model').fill(modelPath);
    await byTestId('preview-model').press('Enter');
    await expectText(byTestId('token-alignment'), /^All \d+ pairs align under full/);
    const cells = byTestId('preview-pair-tokens');
    await poll(async () => /^\d+$/.test(((await cells.first().textContent()) ?? '').trim()), () => 'a token count in the first row');

    // Break alignment: give the other party a longer name in the probe wording.
    await page.getByTestId('list-names-test-chip').first().fill('Bartholomew Quentin');
    await page.getByTestId('list-names-test-chip').first().press('Enter');
    await expectText(byTestId('token-alignment'), /^\d+ of \d+ pairs do not align under full/);
    const badge = byTestId('token-misaligned').first();
    await expectText(badge, /^self \d+ \/ other \d+$/);
    const [, self, other] = /^self (\d+) \/ other (\d+)$/.exec((await badge.textContent())!)!;
    expect(Number(other)).toBeGreaterThan(Number(self));
    await page.screenshot({ path: DESIGNER_SCREENSHOT });
    expect(await page.evaluate(() => window.__csp)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  async function expectText(locator: Locator, want: RegExp | string): Promise<void> {
    await poll(async () => {
      const text = ((await locator.first().textContent().catch(() => null)) ?? '').trim();
      return typeof want === 'string' ? text === want : want.test(text);
    }, () => `text matching ${String(want)}`);
  }

  async function expectCount(locator: Locator, n: number): Promise<void> {
    await poll(async () => (await locator.count()) === n, () => `${n} elements`);
  }

  async function poll(check: () => Promise<boolean>, what: () => string): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (Date.now() < deadline) {
      if (await check()) return;
      await page.waitForTimeout(50);
    }
    throw new Error(`timed out after ${STEP_MS} ms waiting for ${what()}`);
  }
});
