/**
 * Bars with ±SD error bars in chart.js: a bar chart of means, and a plugin that draws a whisker
 * (mean - sd .. mean + sd, capped) on every bar. Used for the behavioural difference (grid MSE between
 * two agents' deceptive-action grids, mean ± SD over seeds). `createErrorBars(canvas, data)` returns
 * `{update, destroy}` like lib/charts/heatmap.ts.
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip, type ChartConfiguration, type Plugin } from 'chart.js';
import { formatValue } from '../../lib/charts/colorScale.ts';
import type { ChartHandle } from '../../lib/charts/heatmap.ts';
import { chartTheme } from '../../lib/charts/theme.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export interface ErrorBarData {
  labels: string[];
  mean: number[];
  sd: number[];
  /** Seeds behind each bar (tooltip). */
  n: number[];
  colors: string[];
  yTitle: string;
}

function config(data: ErrorBarData): ChartConfiguration<'bar', number[], string> {
  const theme = chartTheme();
  const whiskers: Plugin<'bar'> = {
    id: 'errorBars',
    afterDatasetsDraw(chart) {
      const meta = chart.getDatasetMeta(0);
      const y = chart.scales.y!;
      const { ctx } = chart;
      ctx.save();
      ctx.strokeStyle = theme.text;
      ctx.lineWidth = 1.5;
      meta.data.forEach((bar, k) => {
        const m = data.mean[k]!;
        const sd = data.sd[k]!;
        if (!Number.isFinite(m) || !Number.isFinite(sd)) return;
        const x = bar.x;
        const top = y.getPixelForValue(m + sd);
        const bottom = y.getPixelForValue(Math.max(0, m - sd));
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 7, top);
        ctx.lineTo(x + 7, top);
        ctx.moveTo(x - 7, bottom);
        ctx.lineTo(x + 7, bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
  const top = Math.max(0, ...data.mean.map((m, k) => m + (Number.isFinite(data.sd[k]) ? data.sd[k]! : 0)).filter(Number.isFinite));
  return {
    type: 'bar',
    data: { labels: data.labels, datasets: [{ label: 'mean', data: data.mean.map((m) => (Number.isFinite(m) ? m : 0)), backgroundColor: data.colors, borderWidth: 0, maxBarThickness: 70 }] },
    plugins: [whiskers],
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item) => `${formatValue(data.mean[item.dataIndex]!)} ± ${formatValue(data.sd[item.dataIndex]!)} (SD over ${data.n[item.dataIndex]} seeds)` } },
      },
      scales: {
        x: { ticks: { color: theme.text, font: { family: theme.font, size: 12 } }, grid: { display: false } },
        y: {
          beginAtZero: true,
          suggestedMax: top > 0 ? top * 1.1 : 1,
          title: { display: true, text: data.yTitle, color: theme.muted },
          ticks: { color: theme.muted, callback: (v) => formatValue(Number(v)) },
          grid: { color: theme.grid },
        },
      },
    },
  };
}

export function createErrorBars(canvas: HTMLCanvasElement, data: ErrorBarData): ChartHandle<ErrorBarData> {
  let chart = new Chart(canvas, config(data));
  return {
    update(next) {
      chart.destroy();
      chart = new Chart(canvas, config(next));
    },
    destroy: () => chart.destroy(),
  };
}
