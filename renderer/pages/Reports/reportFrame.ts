/**
 * Shows the self-contained HTML report inside the app without breaking the app's CSP
 * (contract/csp.ts: style-src 'self', no inline styles). A srcdoc iframe inherits the page's policy,
 * so the report's own <style> block and any style="" attribute would be blocked there. Instead:
 * the <style> text is cut out of the HTML, the rest is parsed inertly (DOMParser runs nothing and
 * loads nothing), style attributes become rules on a data attribute in the same stylesheet (our
 * reports have none; a foreign one would still be reported once by the parse), scripts are dropped; the iframe gets the rest as srcdoc, sandboxed with scripts off. Once it
 * has loaded, the stylesheet is adopted into the frame's document through the CSSOM, which the CSP
 * does not govern. `allow-same-origin` is what lets the app reach the frame's document to do that;
 * with scripts off in the frame nothing inside it can use that origin.
 */

export interface PreparedReport {
  /** The report without <style>, style attributes or scripts. */
  srcdoc: string;
  /** The report's CSS, plus one rule per former style attribute. */
  css: string;
}

export function prepareReport(html: string): PreparedReport {
  // <style> blocks are cut from the text before parsing: Chromium checks even a DOMParser document's
  // inline styles against the page's CSP (and reports a violation). Style text cannot hold "</style>".
  const css: string[] = [];
  const withoutStyles = html.replace(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi, (_, text: string) => {
    css.push(text);
    return '';
  });
  const doc = new DOMParser().parseFromString(withoutStyles, 'text/html');
  for (const script of Array.from(doc.querySelectorAll('script'))) script.remove();
  Array.from(doc.querySelectorAll('[style]')).forEach((el, i) => {
    css.push(`[data-report-style="${i}"]{${el.getAttribute('style')}}`);
    el.removeAttribute('style');
    el.setAttribute('data-report-style', String(i));
  });
  return { srcdoc: `<!doctype html>\n${doc.documentElement.outerHTML}`, css: css.join('\n') };
}

/** Adopts the report's CSS into the loaded frame's document; false when the frame cannot be reached. */
export function applyReportCss(frame: HTMLIFrameElement, css: string): boolean {
  const win = frame.contentWindow as (Window & typeof globalThis) | null;
  const doc = frame.contentDocument;
  if (!win || !doc) return false;
  // a constructed sheet may only be adopted by the document whose window constructed it
  const sheet = new win.CSSStyleSheet();
  sheet.replaceSync(css);
  doc.adoptedStyleSheets = [sheet];
  return true;
}
