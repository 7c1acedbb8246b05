/**
 * The data of an error-bar chart (errorBars.ts) and the pure shaping behind it, without chart.js or the
 * DOM: series of bars per category label with optional SDs, the y range, the whiskers to draw (clamped
 * to the axis), tooltip lines, and the before/after shape of the Experiments and Runs pages.
 * Values are in data units; with `percent` they are fractions in [0, 1] shown as %.
 */
import { formatValue } from './colorScale.ts';

export interface BarSeries {
  /** Legend and tooltip name ("before", "after SOO"). */
  label: string;
  /** One value per category label; null (or non-finite) draws no bar. */
  values: (number | null)[];
  /** Whisker half-length per bar (an SD); null, non-finite or absent draws no whisker. */
  sd?: (number | null)[];
  /** Seeds behind each bar, for the tooltip ("SD over n seeds"); defaults to perSeed's length. */
  n?: (number | null)[];
  /** The values behind each bar, listed in the tooltip; seed ids when known. */
  perSeed?: (readonly { seed?: number; value: number }[] | null)[];
  /** Colour from the theme (default 'adapter'), unless `colors` gives one per bar. */
  tone?: 'base' | 'adapter';
  colors?: string[];
}

export interface ErrorBarData {
  labels: string[];
  series: BarSeries[];
  yTitle: string;
  /** Values are fractions shown as % (ticks and tooltips), on a fixed 0..100 % axis unless yMax is given. */
  percent?: boolean;
  /** Fixed top of the y axis; default 1 when `percent`, else a little above the highest whisker. */
  yMax?: number;
  /** Legend of the series (default: shown when there is more than one series). */
  legend?: boolean;
}

/** One whisker in data units: series `series`, category `index`, from `low` to `high` (clamped to the axis). */
export interface Whisker {
  series: number;
  index: number;
  low: number;
  high: number;
}

export const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** A number that can be drawn (not null, NaN or infinite). */
/** The y axis range: from 0 to yMax, 1 for percentages, else the highest bar or whisker top + 10 %. */
export function yRange(data: ErrorBarData): { min: number; max: number; fixed: boolean } {
  if (finite(data.yMax)) return { min: 0, max: data.yMax, fixed: true };
  if (data.percent) return { min: 0, max: 1, fixed: true };
  const tops = data.series.flatMap((s) => s.values.map((v, k) => (finite(v) ? v + (finite(s.sd?.[k]) ? s.sd![k]! : 0) : Number.NaN)).filter(Number.isFinite));
  const top = Math.max(0, ...tops);
  return { min: 0, max: top > 0 ? top * 1.1 : 1, fixed: false };
}

/** The whiskers to draw: one per bar with a finite value and a finite sd, ends clamped to the y range. */
export function whiskers(data: ErrorBarData): Whisker[] {
  const { min, max } = yRange(data);
  const out: Whisker[] = [];
  data.series.forEach((s, series) => {
    s.values.forEach((v, index) => {
      const sd = s.sd?.[index];
      if (!finite(v) || !finite(sd)) return;
      out.push({ series, index, low: Math.max(min, v - sd), high: Math.min(max, v + sd) });
    });
  });
  return out;
}

/** A value as the axis shows it: "25.0%" for percentages, else 3 significant digits. */
export function formatBar(data: ErrorBarData, v: number): string {
  return data.percent ? `${(100 * v).toFixed(1)}%` : formatValue(v);
}

/** Tooltip lines of bar (series, index): "after SOO: 25.0% ± 5.0% (SD over 2 seeds)", then the per-seed values. */
export function tooltipLines(data: ErrorBarData, series: number, index: number): string[] {
  const s = data.series[series];
  const v = s?.values[index];
  if (!s || !finite(v)) return [];
  const sd = s.sd?.[index];
  const seeds = s.perSeed?.[index] ?? null;
  const n = s.n?.[index] ?? seeds?.length ?? null;
  const spread = finite(sd) ? ` ± ${formatBar(data, sd)} (SD${n !== null ? ` over ${n} seed${n === 1 ? '' : 's'}` : ''})` : '';
  const lines = [`${s.label}: ${formatBar(data, v)}${spread}`];
  if (seeds && seeds.length > 0) lines.push(`per seed: ${seeds.map((p) => (p.seed !== undefined ? `${p.seed}: ${formatBar(data, p.value)}` : formatBar(data, p.value))).join(', ')}`);
  return lines;
}

/** A before/after group: the base model's rate and the adapter's mean ± SD over seeds (null: not measured). */
export interface BeforeAfterGroup {
  label: string;
  before: number | null;
  after: { mean: number; sd: number; perSeed?: readonly { seed: number; value: number }[] } | null;
}

/** Before/after rates per scenario as two series: before (base colour), after (adapter colour, ±SD whiskers). */
export function beforeAfterBars(groups: readonly BeforeAfterGroup[], yTitle: string): ErrorBarData {
  return {
    labels: groups.map((g) => g.label),
    series: [
      { label: 'before', values: groups.map((g) => g.before), tone: 'base' },
      {
        label: 'after SOO',
        values: groups.map((g) => g.after?.mean ?? null),
        sd: groups.map((g) => g.after?.sd ?? null),
        perSeed: groups.map((g) => g.after?.perSeed ?? null),
        tone: 'adapter',
      },
    ],
    yTitle,
    percent: true,
    legend: true,
  };
}
