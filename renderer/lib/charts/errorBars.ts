/**
 * Bars with ±SD whiskers in chart.js: a (grouped) bar chart, one dataset per series (e.g. "before" and
 * "after SOO"), one bar per category label, and a small plugin that draws a capped whisker
 * (value - sd .. value + sd, clamped to the y axis) on every bar whose series gives an sd.
 * Used by the Experiments/Runs before/after rates (fractions, shown as %, SD over seeds) and the RL
 * page's behavioural difference (grid MSE, SD over seeds).
 *
 * The data and its shaping (whiskers, range, tooltips) are in errorBarData.ts.
 * `createErrorBars(canvas, data)` returns `{update, destroy}` like heatmap.ts, for attach.svelte.ts.
 * After each draw the plugin writes what it drew onto the canvas (data-series: the bar values read back
 * from the bars' pixel positions; data-whiskers: each whisker's ends read back from its pixels), so a
 * test can check the chart's real state rather than the data it was given.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartConfiguration, type ChartDataset, type Plugin } from 'chart.js';
import { formatValue } from './colorScale.ts';
import { finite, tooltipLines, whiskers, yRange, type ErrorBarData, type Whisker } from './errorBarData.ts';
import type { ChartHandle } from './heatmap.ts';
import { chartTheme } from './theme.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/**
 * The data each chart draws, by canvas, for the plugin (plugin options would be cloned and proxied by
 * chart.js). Keyed by canvas because the first draw happens inside `new Chart(...)`.
 */
const drawn = new WeakMap<HTMLCanvasElement, ErrorBarData>();

const whiskerPlugin: Plugin<'bar'> = {
  id: 'errorBarWhiskers',
  afterDatasetsDraw(chart) {
    const data = drawn.get(chart.canvas);
    const y = chart.scales.y;
    if (!data || !y) return;
    const { ctx } = chart;
    const record: Whisker[] = [];
    ctx.save();
    ctx.strokeStyle = chartTheme().text;
    ctx.lineWidth = 1.5;
    for (const w of whiskers(data)) {
      if (!chart.isDatasetVisible(w.series)) continue;
      const bar = chart.getDatasetMeta(w.series).data[w.index];
      if (!bar) continue;
      const half = Math.min(7, Math.max(3, ((bar as unknown as { width?: number }).width ?? 14) / 3));
      const top = y.getPixelForValue(w.high);
      const bottom = y.getPixelForValue(w.low);
      ctx.beginPath();
      ctx.moveTo(bar.x, top);
      ctx.lineTo(bar.x, bottom);
      ctx.moveTo(bar.x - half, top);
      ctx.lineTo(bar.x + half, top);
      ctx.moveTo(bar.x - half, bottom);
      ctx.lineTo(bar.x + half, bottom);
      ctx.stroke();
      record.push({ series: w.series, index: w.index, low: y.getValueForPixel(bottom) ?? Number.NaN, high: y.getValueForPixel(top) ?? Number.NaN });
    }
    ctx.restore();
    const series = chart.data.datasets.map((ds, d) => ({
      label: ds.label ?? '',
      values: chart.getDatasetMeta(d).data.map((bar, k) => (finite(ds.data[k] as number | null) ? (y.getValueForPixel(bar.y) ?? null) : null)),
    }));
    chart.canvas.dataset.series = JSON.stringify(series);
    chart.canvas.dataset.whiskers = JSON.stringify(record);
  },
};

function config(data: ErrorBarData): ChartConfiguration<'bar', (number | null)[], string> {
  const theme = chartTheme();
  const range = yRange(data);
  const datasets: ChartDataset<'bar', (number | null)[]>[] = data.series.map((s) => ({
    label: s.label,
    data: s.values.map((v) => (finite(v) ? v : null)),
    backgroundColor: s.colors ?? (s.tone === 'base' ? theme.base : theme.adapter),
    borderWidth: 0,
    maxBarThickness: 70,
  }));
  return {
    type: 'bar',
    data: { labels: data.labels, datasets },
    plugins: [whiskerPlugin],
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      plugins: {
        legend: { display: data.legend ?? data.series.length > 1, labels: { color: theme.text, font: { family: theme.font }, boxWidth: 12 } },
        tooltip: { callbacks: { label: (item) => tooltipLines(data, item.datasetIndex, item.dataIndex) } },
      },
      scales: {
        x: { ticks: { color: theme.text, font: { family: theme.font, size: 11 } }, grid: { display: false } },
        y: {
          min: range.min,
          ...(range.fixed ? { max: range.max } : { suggestedMax: range.max }),
          title: { display: true, text: data.yTitle, color: theme.muted },
          ticks: { color: theme.muted, ...(data.percent ? { stepSize: 0.25 } : {}), callback: (v) => (data.percent ? `${Math.round(100 * Number(v))}%` : formatValue(Number(v))) },
          grid: { color: theme.grid },
        },
      },
    },
  };
}

export function createErrorBars(canvas: HTMLCanvasElement, data: ErrorBarData): ChartHandle<ErrorBarData> {
  drawn.set(canvas, data);
  const chart = new Chart(canvas, config(data));
  return {
    update(next) {
      const n = config(next);
      drawn.set(canvas, next);
      chart.data = n.data;
      chart.options = n.options!;
      chart.update();
    },
    destroy() {
      chart.destroy();
      drawn.delete(canvas);
    },
  };
}

