/**
 * Shows the self-contained HTML report inside the app without breaking the app's CSP
 * (contract/csp.ts: style-src 'self', no inline styles). A srcdoc iframe inherits the page's policy,
 * so the report's own <style> block and its style="" attributes would be blocked there (Chromium even
 * reports them when a DOMParser document is built from the text). Instead, before any parsing:
 * - the <style> blocks are cut out of the text and kept as one stylesheet;
 * - each style="…" attribute becomes data-report-style="<i>", its declarations kept as entry i;
 * then the rest is parsed inertly (DOMParser runs nothing, loads nothing) to drop any <script>, and
 * the iframe gets it as srcdoc, sandboxed with scripts off. Once it has loaded, the stylesheet is
 * adopted into the frame's document and each element's declarations are set through `el.style`:
 * both are CSSOM, which the CSP does not govern, and inline declarations keep their inline priority.
 * `allow-same-origin` is what lets the app reach the frame's document to do that; with scripts off in
 * the frame nothing inside it can use that origin.
 *
 * The text-level cuts rely on the report being our own escaped output (reports/html.ts, rlHtml.ts):
 * style text cannot contain "</style>", and a literal `style="` can only be an attribute, since text
 * and attribute values have their quotes escaped.
 */

import { liftStyles, type LiftedStyles } from './liftStyles.ts';

export interface PreparedReport extends LiftedStyles {
  /** `html` parsed and serialised again, without scripts: the iframe's srcdoc. */
  srcdoc: string;
}

export function prepareReport(report: string): PreparedReport {
  const lifted = liftStyles(report);
  const doc = new DOMParser().parseFromString(lifted.html, 'text/html');
  for (const script of Array.from(doc.querySelectorAll('script'))) script.remove();
  return { ...lifted, srcdoc: `<!doctype html>\n${doc.documentElement.outerHTML}` };
}

/** Adopts the report's CSS and sets the inline declarations in the loaded frame; false when the frame cannot be reached. */
export function applyReportCss(frame: HTMLIFrameElement, report: Pick<LiftedStyles, 'css' | 'inline'>): boolean {
  const win = frame.contentWindow as (Window & typeof globalThis) | null;
  const doc = frame.contentDocument;
  if (!win || !doc) return false;
  // a constructed sheet may only be adopted by the document whose window constructed it
  const sheet = new win.CSSStyleSheet();
  sheet.replaceSync(report.css);
  doc.adoptedStyleSheets = [sheet];
  for (const el of Array.from(doc.querySelectorAll<HTMLElement>('[data-report-style]'))) {
    const declarations = report.inline[Number(el.dataset.reportStyle)];
    if (declarations !== undefined) el.style.cssText = declarations;
  }
  return true;
}
