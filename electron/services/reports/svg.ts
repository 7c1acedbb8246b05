/**
 * Small static charts as inline SVG strings for the self-contained report (no script, no network):
 * grouped bars with error bars, and line charts. Sizes in CSS pixels; values as given (the caller
 * scales rates to percent). Text is escaped.
 */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PALETTE = ['#8c8c8c', '#2f6fb5', '#d9822b', '#3a9a5b', '#b54a4a', '#7a5cb5', '#3aa3a3', '#b5a23a'];

export interface BarGroup {
  label: string;
  /** One bar per series (same order as `series`); null = no value. sd draws an error bar +- sd. */
  bars: ({ value: number; sd?: number } | null)[];
}

export function groupedBarChart(options: { title: string; series: string[]; groups: BarGroup[]; yMax?: number; yLabel: string; width?: number; height?: number }): string {
  const width = options.width ?? Math.max(480, 70 + options.groups.length * (28 * options.series.length + 24));
  const height = options.height ?? 300;
  const left = 50, right = 10, top = 30, bottom = 90;
  const plotW = width - left - right, plotH = height - top - bottom;
  const all = options.groups.flatMap((g) => g.bars.flatMap((b) => (b ? [b.value + (b.sd ?? 0)] : [])));
  const yMax = options.yMax ?? niceMax(Math.max(1e-9, ...all));
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(v, yMax)) / yMax) * plotH;
  const groupW = plotW / Math.max(1, options.groups.length);
  const barW = Math.min(28, (groupW - 12) / options.series.length);
  const parts: string[] = [];
  parts.push(axes(left, top, plotW, plotH, yMax, options.yLabel, y));
  options.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * options.series.length) / 2;
    g.bars.forEach((b, si) => {
      if (!b) return;
      const x = x0 + si * barW;
      parts.push(`<rect class="bar" x="${f(x)}" y="${f(y(b.value))}" width="${f(barW - 2)}" height="${f(top + plotH - y(b.value))}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeHtml(`${g.label} ${options.series[si]}: ${b.value.toFixed(3)}${b.sd !== undefined ? ` ± ${b.sd.toFixed(3)}` : ''}`)}</title></rect>`);
      if (b.sd !== undefined) {
        const cx = x + (barW - 2) / 2;
        parts.push(`<path class="errorbar" d="M${f(cx)},${f(y(b.value - b.sd))}V${f(y(b.value + b.sd))}M${f(cx - 4)},${f(y(b.value - b.sd))}h8M${f(cx - 4)},${f(y(b.value + b.sd))}h8" stroke="#222" fill="none"/>`);
      }
    });
    const lx = left + gi * groupW + groupW / 2;
    parts.push(`<text x="${f(lx)}" y="${top + plotH + 12}" font-size="10" text-anchor="end" transform="rotate(-35 ${f(lx)} ${top + plotH + 12})">${escapeHtml(g.label)}</text>`);
  });
  parts.push(legend(options.series, left, 14));
  return svg(width, height, options.title, parts);
}

export interface LineSeries {
  label: string;
  points: { x: number; y: number }[];
  /** Optional band +- sd per point. */
  sd?: number[];
}

export function lineChart(options: {
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Fixed top of the y axis (e.g. 1 for fractions); default: from the data. */
  yMax?: number;
  /** A log10 x axis (positive x only; e.g. episode counts 1 .. 1000); default linear from 0. */
  xLog?: boolean;
}): string {
  const width = options.width ?? 560, height = options.height ?? 280;
  const left = 60, right = 10, top = 30, bottom = 40;
  const plotW = width - left - right, plotH = height - top - bottom;
  const xs = options.series.flatMap((s) => s.points.map((p) => p.x)).filter((v) => !options.xLog || v > 0);
  const ys = options.series.flatMap((s) => s.points.map((p, i) => p.y + (s.sd?.[i] ?? 0))).filter(Number.isFinite);
  const xMin = options.xLog ? Math.min(...xs, 1) : Math.min(...xs, 0), xMax = Math.max(...xs, options.xLog ? 10 : 1);
  const yMax = options.yMax ?? niceMax(Math.max(1e-12, ...ys));
  const scale = options.xLog ? Math.log10 : (v: number) => v;
  const x = (v: number) => left + ((scale(v) - scale(xMin)) / Math.max(1e-12, scale(xMax) - scale(xMin))) * plotW;
  const y = (v: number) => top + plotH - (Math.max(0, Math.min(v, yMax)) / yMax) * plotH;
  const parts = [axes(left, top, plotW, plotH, yMax, options.yLabel, y)];
  parts.push(`<text x="${f(left + plotW / 2)}" y="${height - 6}" font-size="11" text-anchor="middle">${escapeHtml(options.xLabel)}${options.xLog ? ' (log scale)' : ''}</text>`);
  for (const t of options.xLog ? logTicks(xMin, xMax) : ticks(xMin, xMax)) parts.push(`<text x="${f(x(t))}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${fmt(t)}</text>`);
  options.series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p.y) && (!options.xLog || p.x > 0));
    if (s.sd) {
      const upper = pts.map((p, i) => `${f(x(p.x))},${f(y(p.y + (s.sd![i] ?? 0)))}`);
      const lower = pts.map((p, i) => `${f(x(p.x))},${f(y(p.y - (s.sd![i] ?? 0)))}`).reverse();
      parts.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" opacity="0.15"/>`);
    }
    parts.push(`<polyline class="line" points="${pts.map((p) => `${f(x(p.x))},${f(y(p.y))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    for (const p of pts.length <= 40 ? pts : []) parts.push(`<circle cx="${f(x(p.x))}" cy="${f(y(p.y))}" r="2.5" fill="${color}"><title>${escapeHtml(`${s.label}: ${p.x}, ${p.y.toPrecision(4)}`)}</title></circle>`);
  });
  parts.push(legend(options.series.map((s) => s.label), left, 14));
  return svg(width, height, options.title, parts);
}

function svg(width: number, height: number, title: string, parts: string[]): string {
  return `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${parts.join('')}</svg></figure>`;
}

function axes(left: number, top: number, plotW: number, plotH: number, yMax: number, yLabel: string, y: (v: number) => number): string {
  const out = [`<path d="M${left},${top}V${top + plotH}H${left + plotW}" stroke="#444" fill="none"/>`];
  for (const t of ticks(0, yMax)) {
    out.push(`<path d="M${left - 3},${f(y(t))}H${left + plotW}" stroke="#ddd"/><text x="${left - 5}" y="${f(y(t) + 3)}" font-size="10" text-anchor="end">${fmt(t)}</text>`);
  }
  out.push(`<text x="12" y="${f(top + plotH / 2)}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${f(top + plotH / 2)})">${escapeHtml(yLabel)}</text>`);
  return out.join('');
}

function legend(labels: string[], x: number, y: number): string {
  let cx = x;
  return labels
    .map((l, i) => {
      const s = `<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${cx + 14}" y="${y}" font-size="11">${escapeHtml(l)}</text>`;
      cx += 24 + l.length * 6.5;
      return s;
    })
    .join('');
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function ticks(lo: number, hi: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const step = niceMax(span / 5);
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** 1, 2, 5 x 10^k within [lo, hi] (lo > 0): the ticks of a log axis. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** k).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push(t);
    }
  }
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
}

function f(v: number): string {
  return v.toFixed(1);
}
