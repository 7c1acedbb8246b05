/**
 * End to end: the RL page in Chromium against the browser harness with the real services, on tiny
 * budgets (a few episodes of 25 steps, batch 64): launch the deceptive and the honest baseline over two
 * seeds in one job each and watch the progress (every status text seen, and the live chart, are recorded
 * by a MutationObserver), SOO fine-tuning of both deceptive runs, a report with the contour plots, the
 * behavioural-difference bars and the classification curve (the agent table checked against the
 * services' rl.metrics), the episode viewer (three agents, stepping, slider, play/pause; the step shown
 * agrees with the services' trace; the arenas are drawn), the HTML report download, evaluation of selected runs
 * (= the services' deterministic evaluation), a running job picked up again after leaving the page, and
 * cancel -> Resume offered.
 * Screenshots: test-output/screenshots/rl-episode-viewer.png, rl-contours.png, rl-report.png (the HTML export), rl-page.png.
 * Needs no native addon (the RL experiment runs on TensorFlow.js WASM).
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHarness, type Harness } from '../harness/server.ts';
import { chromiumPath } from '../helpers/browser.ts';

declare const window: { __texts: string[] };
declare const document: { querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }> };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean; characterData?: boolean }): void;
}

const SHOTS = path.resolve('test-output/screenshots');
const JOB_MS = 200_000;

describe('RL page (browser harness, tiny budgets)', () => {
  let tmp: string;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-rl-'));
    await mkdir(SHOTS, { recursive: true });
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 2400 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.addInitScript(() => {
      const texts: string[] = [];
      window.__texts = texts;
      new MutationObserver(() => {
        const nodes = document.querySelectorAll('[data-testid="rl-job-status"]');
        for (let k = 0; k < nodes.length; k++) {
          const text = (nodes[k]!.textContent ?? '').trim().replace(/\s+/g, ' ');
          if (text && !texts.includes(text)) texts.push(text);
        }
        if (document.querySelectorAll('[data-testid="rl-live-chart"] canvas').length > 0 && !texts.includes('live chart')) texts.push('live chart');
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const t = (id: string) => page.getByTestId(id);

  /** Fills the launch form with a tiny budget. */
  async function tinyForm(kind: 'deceptive' | 'honest' | 'soo', episodes: number): Promise<void> {
    await t(`rl-kind-${kind}`).check();
    if (kind !== 'soo') await t('rl-seeds').fill('0, 1');
    await t('rl-episodes').fill(String(episodes));
    await t('rl-episode-length').fill('25');
    if (!(await t('rl-batch').isVisible())) await page.getByText('More settings').click();
    await t('rl-batch').fill('64');
    await t('rl-update-every').fill('25');
    if (kind !== 'soo') await t('rl-warmup').fill('100'); // SOO warms up for one batch
    await t('rl-log-every').fill('2');
    await t('rl-eval-episodes').fill('2');
  }

  /** Waits until the newest job's status reads `state`. */
  async function jobEnds(state: 'done' | 'cancelled'): Promise<void> {
    await expect.poll(() => t('rl-job-status').first().textContent(), { timeout: JOB_MS, interval: 200 }).toBe(state);
  }

  it('launches both baselines over two seeds and SOO fine-tuning, with progress', async () => {
    await page.goto(harness.url);
    await t('nav-rl').click();
    await t('page-rl').waitFor();

    await tinyForm('deceptive', 6);
    await t('rl-start').click();
    await jobEnds('done');
    await tinyForm('honest', 6);
    await t('rl-start').click();
    await jobEnds('done');
    const texts = await page.evaluate(() => window.__texts);
    // progress over both seeds in one bar: episodes 2, 4, 6 of the first run, then 8, 10, 12 of the second
    expect(texts.some((x) => /^run 1\/2: train deceptive seed 0 · \d+\/12 episodes/.test(x))).toBe(true);
    expect(texts.some((x) => /^run 2\/2: train deceptive seed 1 · (8|10|12)\/12 episodes/.test(x))).toBe(true);
    expect(texts.some((x) => /^run 2\/2: train honest seed 1/.test(x))).toBe(true);
    expect(texts).toContain('live chart'); // goal and trap rates per logged window, drawn while training

    await tinyForm('soo', 4);
    await t('rl-from-0').check();
    await t('rl-from-1').check();
    await t('rl-start').click();
    await jobEnds('done');
    const runs = await harness.services.rlViews.list();
    const agents = runs.filter((r) => r.action === 'train' || r.action === 'soo');
    expect(agents.map((r) => `${r.role}:${r.seed}:${r.status}`).sort()).toEqual(['deceptive:0:done', 'deceptive:1:done', 'honest:0:done', 'honest:1:done', 'soo:0:done', 'soo:1:done']);
    await expect.poll(() => t('rl-run-row').count()).toBe(6);
    expect(errors).toEqual([]);
  }, 3 * JOB_MS);

  it('makes a report and shows the contour plots, bars and accuracy curve', async () => {
    await t('rl-report-episodes').fill('20');
    await t('rl-report-start').click();
    await jobEnds('done');
    await t('rl-contours').waitFor();
    // deceptive, honest, SOO means and the SOO SD, each a chart.js canvas
    for (const key of ['deceptive-mean', 'honest-mean', 'soo-mean', 'soo-sd']) await expect.poll(() => t(`rl-contour-${key}`).locator('canvas').count()).toBe(1);
    // one seed's grids instead of the means
    await t('rl-grid-view').selectOption('1');
    for (const key of ['deceptive-seed', 'honest-seed', 'soo-seed']) await expect.poll(() => t(`rl-contour-${key}`).locator('canvas').count()).toBe(1);
    expect(await t('rl-contour-soo-sd').count()).toBe(0);
    await t('rl-grid-view').selectOption('mean');
    await t('rl-contour-soo-sd').waitFor();
    await expect.poll(() => t('rl-behaviour').locator('canvas').count()).toBe(1);
    await expect.poll(() => t('rl-accuracy').locator('canvas').count()).toBe(1);
    const reportId = (await harness.services.rlViews.list()).find((r) => r.action === 'report')!.id;
    const metrics = await harness.services.rlViews.metrics(reportId);
    expect(metrics.episodes).toBe(20);
    expect(metrics.seeds).toEqual([0, 1]);
    const rows = await t('rl-agents').locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(metrics.agents.length);
    expect(rows).toHaveLength(6);
    for (const a of metrics.agents) expect(rows.some((r) => r.includes(a.run.slice(0, 8)) && r.includes(String(a.deceptive_candidates)))).toBe(true);
    // export: the HTML report of this report run, as the services write it
    const [download] = await Promise.all([page.waitForEvent('download'), t('rl-report-html').click()]);
    expect(download.suggestedFilename()).toBe(`rl-report-${reportId}.html`);
    const html = await readFile(await download.path(), 'utf8');
    expect(html).toContain('SOO Lab RL report');
    for (const a of metrics.agents) expect(html).toContain(a.run);
    const reportPage = await page.context().newPage();
    await reportPage.setContent(html);
    await reportPage.screenshot({ path: path.join(SHOTS, 'rl-report.png'), fullPage: true });
    await reportPage.close();
    await page.waitForTimeout(300); // let chart.js finish its first layout before the picture
    await t('rl-metrics').screenshot({ path: path.join(SHOTS, 'rl-contours.png') });
    expect(errors).toEqual([]);
  }, JOB_MS);

  it('shows one episode of the three agents side by side, stepped and animated', async () => {
    await t('rl-view-episode').fill('1');
    await t('rl-view-load').click();
    for (const role of ['deceptive', 'honest', 'soo']) await t(`rl-arena-${role}`).waitFor();
    await expect(t('rl-view-step').textContent()).resolves.toBe('step 0 / 25');
    await t('rl-view-forward').click();
    await t('rl-view-forward').click();
    await expect(t('rl-view-step').textContent()).resolves.toBe('step 2 / 25');
    await t('rl-view-back').click();
    await expect(t('rl-view-step').textContent()).resolves.toBe('step 1 / 25');
    await t('rl-view-slider').fill('14');
    await expect(t('rl-view-step').textContent()).resolves.toBe('step 14 / 25');
    // the flags shown are the services' trace at that step
    const deceptiveRun = await t('rl-view-run-deceptive').inputValue();
    const trace = await harness.services.rlViews.trace(deceptiveRun, 0, 1);
    const at = trace.steps[14]!;
    const caption = await t('rl-arena-deceptive').locator('figcaption').textContent();
    expect(caption).toContain('t = 14');
    expect(caption!.includes('red in sight')).toBe(at.inSight);
    expect(caption!.includes('red trapped')).toBe(at.redTrapped);
    // each arena is drawn: many distinct colours on its canvas
    for (const role of ['deceptive', 'honest', 'soo']) {
      const colours = await t(`rl-arena-${role}`).locator('canvas').evaluate((c) => {
        const canvas = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set<number>();
        for (let k = 0; k < d.length; k += 4) seen.add((d[k]! << 16) | (d[k + 1]! << 8) | d[k + 2]!);
        return seen.size;
      });
      expect(colours).toBeGreaterThan(20);
    }
    await t('rl-view-play').click();
    await expect.poll(async () => Number((await t('rl-view-step').textContent())!.split(' ')[1]), { timeout: 20_000 }).toBeGreaterThan(14);
    await t('rl-view-pause').click();
    await t('rl-view-slider').fill('18');
    await t('rl-viewer').screenshot({ path: path.join(SHOTS, 'rl-episode-viewer.png') });
    expect(errors).toEqual([]);
  }, JOB_MS);

  it('evaluates selected runs: the table shows the deterministic evaluation of the services', async () => {
    await t('rl-select-deceptive-0').check();
    await t('rl-select-honest-1').check();
    await t('rl-eval-episodes-n').fill('10');
    await t('rl-evaluate').click();
    await jobEnds('done');
    await expect.poll(() => t('rl-eval-row').count()).toBe(2);
    const rows = await t('rl-eval-row').allTextContents();
    const ids = [0, 1].map((k) => rows[k]!.slice(0, 8));
    const runs = await harness.services.rlViews.list();
    const full = ids.map((short) => runs.find((r) => r.id.startsWith(short))!.id);
    const again = await harness.services.rl.evaluate({ runIds: full, episodes: 10 });
    for (const [k, a] of again.agents.entries()) {
      expect(rows[k]).toContain(a.blue_goal_frac.toFixed(3));
      expect(rows[k]).toContain(a.random_blue_goal_frac.toFixed(3));
      expect(rows[k]!.endsWith(String(a.deceptive_candidates))).toBe(true);
    }
    expect(again.agents.map((a) => `${a.role}:${a.seed}`).sort()).toEqual(['deceptive:0', 'honest:1']);
    expect(errors).toEqual([]);
  }, JOB_MS);

  it('cancels a run and offers to resume it', async () => {
    await tinyForm('honest', 5000);
    await t('rl-seeds').fill('7');
    await t('rl-start').click();
    await expect.poll(() => t('rl-job-status').first().textContent(), { timeout: JOB_MS, interval: 100 }).toMatch(/run 1\/1: train honest seed 7 · \d+\/5000 episodes/);
    // leave the page and come back: the running job is picked up again (jobs.list), with its bar
    await t('nav-runs').click();
    await t('nav-rl').click();
    await expect.poll(() => t('rl-job-status').count()).toBe(1);
    await expect.poll(() => t('rl-job-status').first().textContent(), { timeout: JOB_MS, interval: 100 }).toMatch(/run 1\/1: train honest seed 7 · \d+\/5000 episodes/);
    await t('rl-job-cancel').click();
    await jobEnds('cancelled');
    await expect.poll(async () => (await harness.services.rlViews.list()).find((r) => r.seed === 7)?.status).toBe('cancelled');
    await t('rl-resume').waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'rl-page.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, JOB_MS);
});
