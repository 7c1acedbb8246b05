/**
 * Chromium for the browser tests: Debian's binary (or CHROMIUM_PATH) driven by playwright-core, and a
 * page that collects its uncaught exceptions and console errors (a test asserts the list is empty).
 * This file is type-checked without DOM types: the few browser globals the init script uses are
 * declared below.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';

declare const window: { __seen: string[] };
declare const document: { querySelector(selector: string): unknown };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: { childList: boolean; subtree: boolean }): void;
}

/** CHROMIUM_PATH, else `chromium` (Debian) or `chromium-browser` on the PATH. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no Chromium: install Debian\'s chromium (apt-get install -y chromium) or set CHROMIUM_PATH');
  }
}

export interface OpenedPage {
  browser: Browser;
  page: Page;
  /** "pageerror: ..." and "console: ..." lines, in order. */
  errors: string[];
}

export async function openPage(options: { viewport: { width: number; height: number }; acceptDownloads?: boolean; timeoutMs?: number }): Promise<OpenedPage> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: options.viewport, colorScheme: 'light', acceptDownloads: options.acceptDownloads ?? false });
  const page = await context.newPage();
  page.setDefaultTimeout(options.timeoutMs ?? 30_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  return { browser, page, errors };
}

/**
 * Records in `window.__seen` each of `ids` (data-testid values) the moment it first appears in the
 * page, however briefly: progress bars of jobs that may finish between two polls. Read it with
 * `page.evaluate(() => window.__seen)`. Call before the first `goto`.
 */
export async function recordAppearances(page: Page, ids: string[]): Promise<void> {
  await page.addInitScript((watched: string[]) => {
    const seen: string[] = [];
    window.__seen = seen;
    new MutationObserver(() => {
      for (const id of watched) if (!seen.includes(id) && document.querySelector(`[data-testid="${id}"]`)) seen.push(id);
    }).observe(document, { childList: true, subtree: true });
  }, ids);
}
