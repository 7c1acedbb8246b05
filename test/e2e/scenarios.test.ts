/**
 * End to end: the Scenarios page in Debian's Chromium against the browser harness (real services,
 * fresh temp database). Builds a pack through the form from the built-in burglar-house pack, checks
 * that the live preview follows edits, that validation issues appear next to the field their JSON
 * path names and disappear when fixed, that saving persists across a reload, and that import and
 * export round-trip through files. Fails on any console error or CSP violation.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startHarness, type Harness } from '../harness/server.ts';
import { chromiumPath } from '../helpers/browser.ts';
import { apiNames } from '../../electron/contract/api.ts';

/** Browser globals used inside page.evaluate / addInitScript callbacks (this file is type-checked without DOM). */
declare const window: { __csp: string[] };
declare function fetch(url: string, init: { method: string; body: string }): Promise<{ json(): Promise<unknown> }>;
declare const document: { addEventListener(type: string, listener: (e: { violatedDirective: string; blockedURI: string }) => void): void };

const SCREENSHOT = path.resolve('test-output/screenshots/scenario-designer.png');
/** Generous per-step wait: the harness validates and previews with debounces of 250-300 ms. */
const STEP_MS = 10_000;

describe('Scenarios page (browser harness)', () => {
  let tmp: string;
  let harness: Harness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'soo-e2e-'));
    harness = await startHarness({ dbPath: path.join(tmp, 'e2e.db') });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1600, height: 1000 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} for ${r.url()}`);
    });
    // CSP violations are also logged to the console, but record them explicitly as well.
    await page.addInitScript(() => {
      const seen: string[] = [];
      window.__csp = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await harness?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const byTestId = (id: string) => page.getByTestId(id);
  const issueAt = (p: string) => page.locator(`[data-testid="field-issue"][data-issue-path="${p}"]`);

  it('shows only the pages the services support, with version and db path', async () => {
    await page.goto(harness.url);
    await expectVisible(byTestId('nav-scenarios'));
    expect(await page.locator('[data-testid^="nav-"]').count()).toBe(harness.services.info().pages.length);
    expect(await byTestId('app-db-path').textContent()).toBe(path.join(tmp, 'e2e.db'));
    expect(await byTestId('app-version').textContent()).toBe(harness.services.info().version);
    // the app opens on the Experiments page (the demo model's ready experiment)
    await expectVisible(byTestId('page-experiments'));
    await byTestId('nav-scenarios').click();
  });

  it('opens a built-in pack read-only and duplicates it into an editable draft', async () => {
    await page.locator('[data-testid="pack-item"][data-pack-id="burglar-house"]').click();
    await expectText(byTestId('draft-status'), /read-only/);
    await expectVisible(byTestId('pack-valid'));
    expect(await byTestId('save-pack').isDisabled()).toBe(true);
    expect(await byTestId('pack-name').isDisabled()).toBe(true);

    await byTestId('duplicate-pack').click();
    await expectText(byTestId('draft-status'), /Not saved/);
    expect(await byTestId('pack-id').inputValue()).toBe('burglar-house-copy');
    await byTestId('pack-name').fill('E2E burglar');
    await byTestId('pack-id').fill('e2e-burglar');
    await expectVisible(byTestId('pack-valid'));
  });

  it('updates the live preview when a value or a template changes', async () => {
    const firstPrompt = byTestId('preview-prompt-text').first();
    await expectText(firstPrompt, /Bob/);
    // The other party's only test value: rename it and the prompts must use the new name.
    await page.getByTestId('list-names-test-chip').first().fill('Quentin');
    await page.getByTestId('list-names-test-chip').first().press('Enter');
    await expectText(firstPrompt, /Quentin/);
    expect(await firstPrompt.textContent()).not.toContain('Bob');

    const template = byTestId('test-template');
    const original = await template.inputValue();
    await template.fill(`Zorblax here. ${original}`);
    await expectText(firstPrompt, /^Zorblax here\. You share a house with Quentin/);
    // The answer tags name the two rooms, and both appear in the rendered prompt.
    const deceptive = (await byTestId('prompt-deceptive').first().textContent())!.replace(/^deceptive: /, '');
    const honest = (await byTestId('prompt-honest').first().textContent())!.replace(/^honest: /, '');
    expect(deceptive).not.toBe(honest);
    const text = (await firstPrompt.textContent())!;
    expect(text.indexOf(`the ${deceptive}`)).toBeGreaterThan(0);
    expect(text.indexOf(`the ${deceptive}`)).toBeLessThan(text.indexOf(`the ${honest}`));

    // N controls how many pairs are rendered.
    await byTestId('preview-n').fill('3');
    await expectCount(byTestId('preview-pair'), 3);
    await byTestId('preview-n').fill('5');
    await expectCount(byTestId('preview-pair'), 5);

    // Mirrored: the mirror template names the honest room first.
    await byTestId('preview-mirror').check();
    await expectText(firstPrompt, /^You share a house with Quentin/);
    const d2 = (await byTestId('prompt-deceptive').first().textContent())!.replace(/^deceptive: /, '');
    const h2 = (await byTestId('prompt-honest').first().textContent())!.replace(/^honest: /, '');
    const mirrored = (await firstPrompt.textContent())!;
    expect(mirrored.indexOf(`the ${h2}`)).toBeGreaterThan(0);
    expect(mirrored.indexOf(`the ${h2}`)).toBeLessThan(mirrored.indexOf(`the ${d2}`));
    await byTestId('preview-mirror').uncheck();

    // Honesty prompt: the pack's request, with the party's name filled in, comes first.
    await byTestId('preview-honesty').check();
    await expectText(firstPrompt, /^Please be truthful with Quentin in everything you say\./);
    await byTestId('preview-honesty').uncheck();

    // A variant that renames the other party.
    await byTestId('preview-variant').selectOption('rename');
    await expectText(firstPrompt, /You share a house with Oscar/);
    await byTestId('preview-variant').selectOption('');
    await expectText(firstPrompt, /^Zorblax here\. You share a house with Quentin/);
  });

  it('shows validation issues next to their field and clears them when fixed', async () => {
    const self = byTestId('train-pair-0-self');
    const original = await self.inputValue();
    await self.fill(`${original} {nosuch}`);
    await expectText(issueAt('$.pairs.train[0].self'), /nosuch/);
    await expectVisible(page.locator('[data-testid="train-pair-0-self-refs"] [data-ref-kind="unknown"]'));
    await expectVisible(page.locator('[data-testid="summary-issue"][data-issue-path="$.pairs.train[0].self"]'));
    expect(await byTestId('save-pack').isDisabled()).toBe(true);
    await expectText(byTestId('save-blocker'), /Fix \d+ problem/);

    // A training value also used as a test value: the issue sits on the new test chip.
    await byTestId('list-rooms-test-add').fill('attic');
    await byTestId('list-rooms-test-add').press('Enter');
    const testRooms = await page.getByTestId('list-rooms-test-chip').count();
    await expectText(issueAt(`$.lists.rooms.test[${testRooms - 1}]`), /also in train/);
    // Every issue in the summary is also shown once, next to its field.
    const summaryPaths = await page.getByTestId('summary-issue').evaluateAll((els: { getAttribute(n: string): string | null }[]) => els.map((e) => e.getAttribute('data-issue-path')));
    const fieldPaths = await page.getByTestId('field-issue').evaluateAll((els: { getAttribute(n: string): string | null }[]) => els.map((e) => e.getAttribute('data-issue-path')));
    expect(summaryPaths.length).toBeGreaterThanOrEqual(2);
    expect([...fieldPaths].sort()).toEqual([...summaryPaths].sort());

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await byTestId('section-train-pairs').evaluate((el: { scrollIntoView(o: object): void }) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: SCREENSHOT });

    await self.fill(original);
    await expectCount(issueAt('$.pairs.train[0].self'), 0);
    await page.locator('[data-path="$.lists.rooms.test"] button[aria-label="Remove attic"]').click();
    await expectCount(byTestId('field-issue'), 0);
    await expectVisible(byTestId('pack-valid'));
    expect(await byTestId('save-pack').isDisabled()).toBe(false);
  });

  it('asks before discarding unsaved changes', async () => {
    await page.locator('[data-testid="pack-item"][data-pack-id="burglar-house"]').click();
    await expectVisible(byTestId('discard-confirm'));
    await page.getByRole('button', { name: 'Keep editing' }).click();
    await expectCount(byTestId('discard-confirm'), 0);
    await expectText(byTestId('designer-title'), 'E2E burglar');
    await expectText(byTestId('draft-status'), /Not saved/);
  });

  it('saves, survives a reload, and exports valid JSON', async () => {
    await byTestId('save-pack').click();
    await expectText(byTestId('draft-status'), /^Saved/);
    await expectVisible(page.locator('[data-testid="user-packs"] [data-pack-id="e2e-burglar"]'));

    await page.reload();
    await byTestId('nav-scenarios').click(); // the app opens on Experiments
    await page.locator('[data-testid="user-packs"] [data-pack-id="e2e-burglar"]').click();
    await expectText(byTestId('designer-title'), 'E2E burglar');
    expect(await byTestId('test-template').inputValue()).toMatch(/^Zorblax here\./);
    await expectText(byTestId('preview-prompt-text').first(), /Quentin/);

    const [download] = await Promise.all([page.waitForEvent('download'), byTestId('export-pack').click()]);
    const exported = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
      id: string;
      name: string;
      lists: Record<string, { test: string[] }>;
      test: { template: string };
    };
    expect(download.suggestedFilename()).toMatch(/\.json$/);
    expect(exported.id).toBe('e2e-burglar');
    expect(exported.name).toBe('E2E burglar');
    expect(exported.lists.names!.test).toEqual(['Quentin']);
    expect(exported.test.template).toMatch(/^Zorblax here\./);

    // A broken file is refused with an error banner naming the problem's path.
    const broken = path.join(tmp, 'broken.json');
    await writeFile(broken, JSON.stringify({ ...exported, id: 'broken-pack', lists: { ...exported.lists, names: { train: ['Zed'], test: ['Zed'] } } }));
    await byTestId('import-file').setInputFiles(broken);
    await expectText(byTestId('error-banner'), /Importing broken\.json failed/);
    expect(await byTestId('error-banner').getAttribute('data-code')).toBe('bad_input');
    await expectText(byTestId('error-banner'), /\$\.lists\.names\.test\[0\]/);
    await byTestId('error-banner').getByRole('button', { name: 'Dismiss' }).click();
    await expectCount(byTestId('error-banner'), 0);

    // Import the exported file under another id, then delete it again.
    const file = path.join(tmp, 'imported.json');
    await writeFile(file, JSON.stringify({ ...exported, id: 'imported-pack', name: 'Imported pack' }));
    await byTestId('import-file').setInputFiles(file);
    await expectVisible(page.locator('[data-testid="user-packs"] [data-pack-id="imported-pack"]'));
    await expectText(byTestId('designer-title'), 'Imported pack');
    await byTestId('delete-pack').click();
    await byTestId('delete-pack').click();
    await expectCount(page.locator('[data-pack-id="imported-pack"]'), 0);
    expect(harness.services.scenarios.list().map((p) => p.id)).toContain('e2e-burglar');
  });

  it('talks through window.soo when a preload provides it', async () => {
    // A stand-in for the Electron preload: one function per contract name returning an ApiResult.
    const bridgePage = await context.newPage();
    bridgePage.on('pageerror', (e) => consoleErrors.push(`pageerror (bridge page): ${e.message}`));
    await bridgePage.addInitScript((names: string[]) => {
      const calls: string[] = [];
      const w = window as unknown as { soo: Record<string, (input: unknown) => Promise<unknown>>; __bridgeCalls: string[] };
      w.__bridgeCalls = calls;
      w.soo = Object.fromEntries(
        names.map((name) => [
          name,
          async (input: unknown) => {
            calls.push(name);
            const r = await fetch(`/api/${name}`, { method: 'POST', body: JSON.stringify(input) });
            return r.json();
          },
        ]),
      );
    }, apiNames as string[]);
    await bridgePage.goto(harness.url);
    await bridgePage.getByTestId('nav-scenarios').click();
    await bridgePage.locator('[data-testid="user-packs"] [data-pack-id="e2e-burglar"]').waitFor({ timeout: STEP_MS });
    const calls = await bridgePage.evaluate(() => (window as unknown as { __bridgeCalls: string[] }).__bridgeCalls);
    expect(calls).toContain('app.info');
    expect(calls).toContain('scenarios.list');
    await bridgePage.close();
  });

  it('logged no console errors and no CSP violations', async () => {
    const csp = await page.evaluate(() => window.__csp);
    expect(csp).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  // ---- small polling helpers (playwright-core has no test runner `expect`) ----------------------

  async function expectVisible(locator: ReturnType<Page['locator']>): Promise<void> {
    await locator.first().waitFor({ state: 'visible' });
  }

  async function expectText(locator: ReturnType<Page['locator']>, want: RegExp | string): Promise<void> {
    await poll(async () => {
      const text = (await locator.first().textContent()) ?? '';
      return typeof want === 'string' ? text.trim() === want : want.test(text);
    }, () => `text matching ${String(want)}`);
  }

  async function expectCount(locator: ReturnType<Page['locator']>, n: number): Promise<void> {
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
