/**
 * End to end: the Models and Reports pages in Chromium against the browser harness (real services,
 * CPU only). Models: open a tiny generated GGUF by path and see its facts (checked against the
 * services' own reading of the header), GPU offload (CPU: auto = 0 layers; a manual count is recorded),
 * use it as the current model; download the same model from a local HTTP server with the progress bar
 * (seen by a MutationObserver), cancel, continue the unfinished download and get the exact file.
 * Reports: an experiment stored with the runner's fake backends (no model needed), previewed in a
 * sandboxed srcdoc iframe under the app's CSP (no violation, styles applied), HTML / CSV / JSON
 * downloads, PDF shown disabled with the reason. The text-level style lifting of the preview is also
 * checked without a browser (inline style attributes, as the RL report has, and entities).
 * Screenshots: test-output/screenshots/models-page.png, models-download.png, reports-page.png.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resolveExperimentConfig } from '../../electron/services/experiments/config.ts';
import { ExperimentRunner } from '../../electron/services/experiments/runner.ts';
import { startHarness, type Harness } from '../harness/server.ts';
import { chromiumPath } from '../helpers/browser.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { fakeBackends } from '../services/experiments/fakes.ts';
import { liftStyles } from '../../renderer/pages/Reports/liftStyles.ts';

declare const window: { __seen: string[]; __csp: string[]; getComputedStyle(el: unknown): { fontFamily: string; borderCollapse: string } };
declare const document: { querySelector(selector: string): unknown; addEventListener(name: string, handler: (e: { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number }) => void): void };
declare const localStorage: { getItem(key: string): string | null };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean }): void;
}

const SHOTS = path.resolve('test-output/screenshots');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('Models and Reports pages (browser harness)', () => {
  let tmp: string;
  let modelPath: string;
  let body: Buffer;
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let server: http.Server;
  let base = '';
  const errors: string[] = [];
  const gpuBefore = process.env.SOO_LAB_GPU;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-models-'));
    await mkdir(SHOTS, { recursive: true });
    modelPath = await tinyModel({ arch: 'llama', type: 'q8_0' });
    body = fs.readFileSync(modelPath);
    // a model server: 64 KiB every 40 ms, honouring Range; a request from byte 0 stalls after 1 MiB (the
    // connection stays open), so the bar is seen and the cancel lands mid-file however slow the machine
    server = http.createServer((req, res) => {
      if (req.url !== '/models/tiny-q8.gguf') return void res.writeHead(404).end('not here');
      const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      res.writeHead(m ? 206 : 200, { 'content-length': String(body.length - start), ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
      let pos = start;
      const pump = () => {
        if (res.destroyed) return;
        if (pos >= body.length) return void res.end();
        if (start === 0 && pos >= 1024 * 1024) return; // the stall
        res.write(body.subarray(pos, pos + 64 * 1024));
        pos += 64 * 1024;
        setTimeout(pump, 40);
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.SOO_LAB_GPU = 'off'; // CI has no GPU; the runtime's backend is fixed per process
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 }, colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.addInitScript(() => {
      const seen: string[] = [];
      window.__seen = seen;
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
      new MutationObserver(() => {
        for (const id of ['download-progress']) if (!seen.includes(id) && document.querySelector(`[data-testid="${id}"]`)) seen.push(id);
      }).observe(document, { childList: true, subtree: true });
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    if (gpuBefore === undefined) delete process.env.SOO_LAB_GPU;
    else process.env.SOO_LAB_GPU = gpuBefore;
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const t = (id: string) => page.getByTestId(id);

  it('opens a tiny model by path and shows its facts; GPU offload; use as current', async () => {
    await page.goto(harness.url);
    await t('nav-models').click();
    await t('page-models').waitFor();
    // a path that is not a model: the error names the file
    const notModel = path.join(tmp, 'notes.gguf');
    fs.writeFileSync(notModel, 'just text');
    await t('models-path').fill(notModel);
    await t('models-open-button').click();
    await expect.poll(() => page.getByText(notModel).count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText('not a GGUF file').count()).toBeGreaterThan(0);

    await t('models-path').fill(modelPath);
    await t('models-open-button').click();
    await t('model-facts').waitFor();
    const info = await harness.services.models.library.info(modelPath);
    expect(info).toMatchObject({ architecture: 'llama', layers: 2, fileType: 'MOSTLY_Q8_0' });
    await expect.poll(() => t('facts-arch').textContent()).toBe('llama');
    expect(await t('facts-layers').textContent()).toBe('2');
    expect(await t('facts-quant').textContent()).toBe('Q8_0');
    expect(await t('facts-size').textContent()).toBe(`${(body.length / 1024 / 1024).toFixed(2)} MiB`);
    expect(await t('facts-params').textContent()).toBe(`${(info.parameters! / 1e6).toFixed(2)} M`);
    expect(await t('facts-chat').textContent()).toBe(info.chatTemplate ? 'yes' : 'none');
    expect(await t('facts-embd').textContent()).toBe('64');

    // GPU: CPU only here, so automatic offloads 0 of 3 (2 blocks + output)
    await expect.poll(() => t('gpu-backend').textContent()).toContain('CPU only');
    await expect.poll(() => t('gpu-auto').textContent()).toMatch(/0\s+of 3 layers/);
    await t('gpu-manual-layers').fill('1');
    await t('gpu-manual-choice').check();
    await expect.poll(() => harness.services.models.gpu.setting()).toBe(1);
    await expect.poll(() => t('gpu-setting').textContent()).toContain('1 layers');
    await t('gpu-auto-choice').check();
    await expect.poll(() => harness.services.models.gpu.setting()).toBe('auto');

    // the library lists it (opened by path); use it as the current model
    const row = page.locator(`[data-testid="library-row"][data-path="${modelPath}"]`);
    await row.waitFor();
    if (await t('models-select').count()) await t('models-select').click();
    await t('models-is-current').waitFor();
    await row.getByTestId('library-current').waitFor();
    expect(await page.evaluate(() => JSON.parse(localStorage.getItem('soo-lab.recentModels') ?? '[]')[0])).toBe(modelPath);
    expect(errors).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'models-page.png'), fullPage: true });
  });

  it('downloads from a local server with a progress bar; cancel keeps the part; continue finishes the exact file', async () => {
    const source = `${base}/models/tiny-q8.gguf`;
    await t('download-source').fill(source);
    await t('download-start').click();
    await t('download-progress').waitFor();
    // wait until some bytes are in, then screenshot the bar and cancel
    await expect.poll(async () => Number(await t('download-bar').getAttribute('value'))).toBeGreaterThan(5);
    await page.screenshot({ path: path.join(SHOTS, 'models-download.png'), fullPage: true });
    await t('download-cancel').click();
    await t('download-partial').waitFor();
    const partial = (await harness.services.models.view()).partial;
    expect(partial).toHaveLength(1);
    expect(partial[0]!.bytesDone).toBeGreaterThan(0);
    expect(partial[0]!.bytesDone).toBeLessThan(body.length);

    await t('download-continue').click();
    await t('download-done').waitFor({ timeout: 120_000 });
    expect(await t('download-done').textContent()).toContain('continued from');
    const saved = path.join(tmp, 'models', 'tiny-q8.gguf');
    expect(sha(fs.readFileSync(saved))).toBe(sha(body));
    expect((await harness.services.models.view()).partial).toEqual([]);
    // the downloaded file is opened and listed from the models folder
    await page.locator(`[data-testid="library-row"][data-path="${saved}"]`).waitFor();
    await expect.poll(() => t('facts-quant').textContent()).toBe('Q8_0');
    const seen = await page.evaluate(() => window.__seen);
    expect(seen).toContain('download-progress');
    expect(errors).toEqual([]);
  }, 180_000);

  /** Stores a finished experiment with the runner's fake backends (hash-derived results, no model). */
  async function storeExperiment(name: string, seeds: number[]): Promise<string> {
    const { scenarios, runs, store } = harness.services;
    const runner = new ExperimentRunner({
      runs,
      db: store.db,
      appVersion: 'e2e',
      backends: fakeBackends(runs, null),
      packs: { main: scenarios.resolve('burglar-house'), generalisation: [scenarios.resolve('treasure-hunt')], control: scenarios.resolve('theory-of-mind') },
      modelPath: modelPath,
      modelSha256: sha(body),
      hashFile: async (f) => sha(fs.readFileSync(f)),
      artifactsDir: path.join(tmp, 'artifacts'),
      heldoutText: 'held-out text',
    });
    const config = resolveExperimentConfig({
      name,
      model: modelPath,
      preset: 'tiny',
      seeds,
      variants: ['rename'],
      generalisation: ['treasure-hunt'],
      evaluation: { n: 4 },
      training: { pairs: 4, epochs: 1, batch: 2 },
      latent: { pairs: 4 },
    });
    return (await runner.run(config)).run.id;
  }

  it('previews a stored run\'s report in a sandboxed frame under the CSP and exports it', async () => {
    const first = await storeExperiment('e2e report A', [0, 1]);
    const second = await storeExperiment('e2e report B', [2]);
    await page.goto(harness.url); // a fresh load (also when this test runs alone)
    await t('nav-reports').click();
    await t('page-reports').waitFor();
    await expect.poll(() => t('reports-run').count()).toBe(2);
    await page.locator(`[data-testid="reports-run"][data-run="${first}"]`).getByTestId('reports-pick').check();
    const frame = t('reports-frame');
    await frame.waitFor();
    expect(await frame.getAttribute('data-run')).toBe(first);
    expect(await frame.getAttribute('sandbox')).toBe('allow-same-origin');
    // the report is inside, with its tables, charts and styles (the CSS adopted, not inline)
    const inner = page.frameLocator('[data-testid="reports-frame"]');
    await expect.poll(() => inner.locator('h1').textContent()).toContain('e2e report A');
    const view = harness.services.experimentViews.get(first);
    const perSeed = view.tables.find((x) => x.name === 'per_seed')!;
    expect(await inner.locator('table.per_seed tbody tr').count()).toBe(perSeed.rows.length);
    expect(await inner.locator('svg').count()).toBeGreaterThan(0);
    expect(await inner.locator('style').count()).toBe(0);
    await expect.poll(() => inner.locator('table.per_seed').evaluate((el) => window.getComputedStyle(el).borderCollapse)).toBe('collapse');
    expect(await inner.locator('body').evaluate((el) => window.getComputedStyle(el).fontFamily)).toContain('system-ui');

    // PDF: disabled with the reason (the harness has no printToPDF)
    expect(await t('reports-pdf').isDisabled()).toBe(true);
    expect(await t('reports-pdf-reason').textContent()).toContain('desktop app');

    // exports: HTML = the services' report, CSV = one file per table, JSON of every table
    const html = page.waitForEvent('download');
    await t('reports-save-html').click();
    const htmlFile = await html;
    expect(htmlFile.suggestedFilename()).toBe(`report-${first}.html`);
    const savedHtml = fs.readFileSync((await htmlFile.path())!, 'utf8');
    expect(savedHtml).toContain('<h1>SOO Lab experiment report: e2e report A</h1>');
    expect(savedHtml).toContain('<style>'); // the saved file is the self-contained report, styles inline

    const tables = harness.services.experimentViews.tables(first, 'csv');
    const csvFiles: string[] = [];
    page.on('download', (d) => csvFiles.push(d.suggestedFilename()));
    await t('reports-csv').click();
    await expect.poll(() => csvFiles.length).toBe(tables.length);
    expect(csvFiles.sort()).toEqual(tables.map((x) => x.fileName).sort());
    const json = page.waitForEvent('download');
    await t('reports-tables-json').click();
    const jsonFile = await json;
    const parsed = JSON.parse(fs.readFileSync((await jsonFile.path())!, 'utf8')) as { name: string; rows: unknown[] }[];
    expect(parsed.map((x) => x.name)).toEqual(view.tables.map((x) => x.name));
    expect(parsed.find((x) => x.name === 'per_seed')!.rows).toEqual(perSeed.rows);

    // a second run: tabs, the frame follows the tab
    await page.locator(`[data-testid="reports-run"][data-run="${second}"]`).getByTestId('reports-pick').check();
    await expect.poll(() => t('reports-tab').count()).toBe(2);
    await expect.poll(() => t('reports-frame').getAttribute('data-run')).toBe(second);
    await t('reports-tab').filter({ hasText: 'e2e report A' }).click();
    await expect.poll(() => t('reports-frame').getAttribute('data-run')).toBe(first);
    await expect.poll(() => inner.locator('h1').textContent()).toContain('e2e report A');

    expect(await page.evaluate(() => window.__csp)).toEqual([]);
    // playwright injects this file's init script into every frame: the report frame refuses it (scripts are off there)
    const blocked = errors.filter((e) => e.includes("Blocked script execution in 'about:srcdoc'") && e.includes("'allow-scripts' permission is not set"));
    expect(blocked.length).toBeGreaterThan(0);
    expect(errors.filter((e) => !blocked.includes(e))).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'reports-page.png'), fullPage: true });
  });

  /** Calls the contract through the harness, as the renderer does; a job entry resolves with the job's result. */
  async function call<T>(name: string, input: unknown): Promise<T> {
    // listen before calling: a small job can end before the call's answer arrives
    const ended = new Map<string, { ok: boolean; result?: unknown; error?: unknown }>();
    const waiters = new Map<string, (d: { ok: boolean; result?: unknown; error?: unknown }) => void>();
    const off = harness.services.jobs.subscribe((m) => {
      if (m.name !== 'onJobDone') return;
      const d = m.data as { jobId: string; ok: boolean; result?: unknown; error?: unknown };
      ended.set(d.jobId, d);
      waiters.get(d.jobId)?.(d);
    });
    try {
      const res = (await (await fetch(`${harness.url}api/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) })).json()) as {
        ok: boolean;
        value?: { jobId?: string };
        error?: unknown;
      };
      if (!res.ok) throw new Error(`${name}: ${JSON.stringify(res.error)}`);
      const jobId = res.value?.jobId;
      if (!jobId) return res.value as T;
      const done = ended.get(jobId) ?? (await new Promise<{ ok: boolean; result?: unknown; error?: unknown }>((resolve) => waiters.set(jobId, resolve)));
      if (!done.ok) throw new Error(`${name} job: ${JSON.stringify(done.error)}`);
      return done.result as T;
    } finally {
      off();
    }
  }

  it('previews an RL report (inline style attributes set through the CSSOM) under the CSP; tables are for experiments only', async () => {
    const tiny = { episodes: 4, episodeLength: 30, batchSize: 32, updateEvery: 15, warmupSteps: 40, logEvery: 2, checkpointEvery: 2, evalEpisodes: 2 };
    const runIds = (r: { runs: { run_id: string }[] }) => r.runs.map((x) => x.run_id);
    const deceptive = runIds(await call('rl.trainStart', { mode: 'deceptive', seeds: [1], ...tiny }));
    const honest = runIds(await call('rl.trainStart', { mode: 'honest', seeds: [1], ...tiny }));
    const soo = runIds(await call('rl.sooStart', { fromRunIds: deceptive, ...tiny }));
    await call('rl.reportStart', { deceptive, honest, soo, episodes: 4, episodeCounts: [1] });
    const report = harness.services.runs.list({ kind: 'rl' }).find((r) => (r.config as { action?: string }).action === 'report')!;
    const html = (await call<{ text: string }>('reports.html', { runId: report.id })).text;
    const styled = (html.match(/\sstyle="/g) ?? []).length;
    expect(styled).toBeGreaterThan(0); // the RL report has inline style attributes

    await page.goto(harness.url);
    await t('nav-reports').click();
    await t('page-reports').waitFor();
    const row = page.locator(`[data-testid="reports-run"][data-run="${report.id}"]`);
    await row.waitFor();
    for (const id of [...deceptive, ...honest, ...soo]) expect(await page.locator(`[data-testid="reports-run"][data-run="${id}"]`).count()).toBe(0); // RL runs without a report are not listed
    await row.getByTestId('reports-pick').check();
    await expect.poll(() => t('reports-frame').getAttribute('data-run')).toBe(report.id);
    const inner = page.frameLocator('[data-testid="reports-frame"]');
    await expect.poll(() => inner.locator('[data-report-style]').count()).toBe(styled);
    // every former attribute's declarations are in force (the grid legends: font-size .7rem)
    const display = await inner.locator('[data-report-style]').evaluateAll((els) => els.map((el) => (el as unknown as { style: { cssText: string } }).style.cssText));
    expect(display.every((text) => text.length > 0)).toBe(true);
    expect(display.some((text) => text.includes('font-size: 0.7rem'))).toBe(true);
    expect(await t('reports-csv').isDisabled()).toBe(true);
    expect(await t('reports-save-html').isDisabled()).toBe(false);
    expect(await page.evaluate(() => window.__csp)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'reports-rl.png'), fullPage: true });
  }, 300_000);
});

describe('report preview: styles lifted out of the text before parsing (no browser)', () => {
  it('cuts <style> blocks and renames style attributes, keeping their declarations in order', () => {
    const report = [
      '<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0}</style></head><body>',
      '<p class="note" style="font-size:.7rem;max-width:300px">a &quot;style=&quot; in text stays</p>',
      '<span><span style="display:inline-block;background:#abc"></span>&ge;0.5</span>',
      '<style media="print">h2{break-after:avoid}</style>',
      '<pre>style="not an attribute"</pre>',
      '<div data-x="1" style="font-family:&quot;A B&quot;, serif">x</div></body></html>',
    ].join('\n');
    const lifted = liftStyles(report);
    expect(lifted.css).toBe('body{margin:0}\nh2{break-after:avoid}');
    expect(lifted.inline).toEqual(['font-size:.7rem;max-width:300px', 'display:inline-block;background:#abc', 'font-family:"A B", serif']);
    expect(lifted.html).not.toMatch(/<style|\sstyle="[^"]*"(?=[^<]*>)/);
    expect(lifted.html).toContain('<p class="note" data-report-style="0">a &quot;style=&quot; in text stays</p>');
    expect(lifted.html).toContain('<span data-report-style="1"></span>');
    expect(lifted.html).toContain('<div data-x="1" data-report-style="2">x</div>');
    expect(lifted.html).toContain('<pre>style="not an attribute"</pre>'); // text, not a tag: untouched
  });
});
