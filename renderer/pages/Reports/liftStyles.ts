/**
 * The text-level half of the report preview (reportFrame.ts says why): <style> blocks cut out, style
 * attributes renamed to data-report-style="<i>" with their declarations kept. No DOM, so it is
 * tested in Node. Relies on the report being our own escaped output: style text cannot contain
 * "</style>", and a literal `style="` outside a tag cannot occur (quotes in text are escaped).
 */

export interface LiftedStyles {
  /** The report without <style> blocks and with style attributes renamed to data-report-style. */
  html: string;
  /** The <style> blocks' CSS, in order. */
  css: string;
  /** Declarations of the i-th former style attribute. */
  inline: string[];
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };

/** See the header. */
export function liftStyles(report: string): LiftedStyles {
  const css: string[] = [];
  const inline: string[] = [];
  const html = report
    .replace(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi, (_, text: string) => {
      css.push(text);
      return '';
    })
    .replace(/(<[a-zA-Z][^>]*?\s)style="([^"]*)"/g, (_, before: string, value: string) => {
      inline.push(value.replace(/&(amp|quot|#39|lt|gt);/g, (e) => ENTITIES[e]!));
      return `${before}data-report-style="${inline.length - 1}"`;
    });
  return { html, css: css.join('\n'), inline };
}

