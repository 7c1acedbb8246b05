/**
 * End to end: the Train page in Debian's Chromium against the browser harness, on a tiny random model.
 * - The page is listed; the model summary and the presets load; choosing preset "tiny" fills its numbers.
 * - Train: the progress bar and the loss chart appear WHILE the job runs (a MutationObserver records it),
 *   the chart's point count grows during the run, and at the end the page shows the adapter, the step
 *   count and the first/last loss of the run recorded by the services (run_steps, artifact on disk).
 * - "Compare in Activations" opens the Activations page with this model and adapter filled in.
 * Screenshot: test-output/screenshots/train-panel.png. Fails on console errors and CSP violations.
 * Skipped only when the native addon is not built (the page is hidden then).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startHarness, type Harness } from '../harness/server.ts';
import { chromiumPath } from '../helpers/browser.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt } from '../native/native-addon.ts';

declare const window: { __csp: string[]; __seen: string[]; __maxPoints: number };
declare const document: {
  addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
  querySelector(selector: string): { textContent: string | null } | null;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean; characterData?: boolean }): void;
}

const SCREENSHOT = path.resolve('test-output/screenshots/train-panel.png');
const STEP_MS = 20_000;
const JOB_MS = 240_000;
const N = 8;
const EPOCHS = 15; // 8 pairs, batch 2 -> 60 steps: long enough to see the chart grow

describe.skipIf(!addonBuilt)('Train page (browser harness, tiny model)', () => {
  let tmp: string;
  let modelPath: string;
  let harness: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-train-'));
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2, embd: 128 });
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    await page.addInitScript(() => {
      const csp: string[] = [];
      window.__csp = csp;
      document.addEventListener('securitypolicyviolation', (e) => csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      const seen: string[] = [];
      window.__seen = seen;
      window.__maxPoints = 0;
      new MutationObserver(() => {
        const running = document.querySelector('[data-testid="train-progress"]') !== null;
        for (const id of ['train-progress', 'train-chart']) {
          if (!seen.includes(id) && document.querySelector(`[data-testid="${id}"]`)) seen.push(id);
        }
        // the live curve: the "step K: loss" label while the progress bar is still shown
        const label = document.querySelector('[data-testid="train-last-loss"]')?.textContent ?? '';
        const m = /step (\d+)/.exec(label);
        if (running && m) {
          if (!seen.includes('live-loss')) seen.push('live-loss');
          window.__maxPoints = Math.max(window.__maxPoints, Number(m[1]));
        }
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const byTestId = (id: string) => page.getByTestId(id);

  it('trains with a live loss chart and progress, then shows the adapter and opens it in Activations', async () => {
    await page.goto(harness.url);
    await byTestId('nav-train').click();
    await byTestId('page-train').waitFor();
    await byTestId('train-model-path').fill(modelPath);
    await byTestId('train-model-path').press('Enter');
    await expectText(byTestId('train-model-summary'), /llama.*3 layers/);

    await byTestId('train-pack').selectOption('burglar-house');
    await byTestId('train-n').fill(String(N));
    await byTestId('train-preset').selectOption('tiny');
    expect(await byTestId('train-layer').inputValue()).toBe('1');
    expect(Number(await byTestId('train-lr').inputValue())).toBe(1e-2);
    await byTestId('train-epochs').fill(String(EPOCHS));
    await byTestId('train-positions').selectOption('mean');
    await byTestId('train-point').selectOption('resid');
    await byTestId('train-self-anchor').fill('2');
    await byTestId('train-start').click();

    await byTestId('train-done').waitFor({ timeout: JOB_MS });
    const seen = await page.evaluate(() => window.__seen);
    expect(seen).toEqual(expect.arrayContaining(['train-progress', 'train-chart', 'live-loss']));

    const run = harness.services.runs.list({ kind: 'train' }).at(0)!;
    expect(run.status).toBe('done');
    const steps = harness.services.runs.steps(run.id);
    expect(steps).toHaveLength(EPOCHS * (N / 2));
    // the form's tap point and self anchor reached the trainer: recorded, and the anchor logged per step
    expect(run.config).toMatchObject({ point: 'resid', selfAnchor: 2 });
    expect(steps.every((st) => typeof (st.metrics as { anchor?: number }).anchor === 'number')).toBe(true);
    const adapter = harness.services.runs.artifacts(run.id)[0]!.path;
    expect(existsSync(adapter)).toBe(true);
    expect(await byTestId('train-adapter-path').textContent()).toBe(adapter);
    await expectText(byTestId('train-last-loss'), `step ${steps.length}: ${steps.at(-1)!.loss!.toExponential(3)} (first ${steps[0]!.loss!.toExponential(3)})`);
    expect(steps.at(-1)!.loss!).toBeLessThan(steps[0]!.loss!);
    await byTestId('train-chart').locator('canvas').waitFor();

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await byTestId('train-open-activations').click();
    await byTestId('page-activations').waitFor();
    expect(await byTestId('adapter-path').inputValue()).toBe(adapter);
    expect(await byTestId('model-path').inputValue()).toBe(modelPath);

    expect(await page.evaluate(() => window.__csp)).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, JOB_MS + 60_000);

  async function expectText(locator: Locator, want: RegExp | string): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    let text = '';
    while (Date.now() < deadline) {
      text = ((await locator.first().textContent().catch(() => null)) ?? '').trim().replace(/\s+/g, ' ');
      if (typeof want === 'string' ? text === want : want.test(text)) return;
      await page.waitForTimeout(50);
    }
    throw new Error(`timed out waiting for ${String(want)}; last text: ${text}`);
  }
});
