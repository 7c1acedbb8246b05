/**
 * A line chart of one or more series over shared x labels (latent SOO per layer: base vs adapter),
 * with an optional band of +-1 standard deviation around each series.
 * `createLineChart(canvas, data)` returns `{update, destroy}` like the heatmap.
 */
import { CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration, type ChartDataset } from 'chart.js';
import { formatValue } from './colorScale.ts';
import type { ChartHandle } from './heatmap.ts';
import { chartTheme } from './theme.ts';

Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip, Filler);

export interface LineSeries {
  label: string;
  values: number[];
  /** Standard deviation per point; drawn as a faint band. */
  std?: number[];
  /** 'base' or 'adapter' picks the theme colour. */
  tone: 'base' | 'adapter';
}

export interface LineData {
  xLabels: string[];
  series: LineSeries[];
  xTitle: string;
  yTitle: string;
}

function withAlpha(color: string, alpha: number): string {
  // Works for #rrggbb (the theme's variables); other forms are returned as they are.
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  return m ? `rgb(${parseInt(m[1]!, 16)} ${parseInt(m[2]!, 16)} ${parseInt(m[3]!, 16)} / ${alpha})` : color;
}

function config(data: LineData): ChartConfiguration<'line', number[], string> {
  const theme = chartTheme();
  const datasets: ChartDataset<'line', number[]>[] = [];
  for (const s of data.series) {
    const color = s.tone === 'adapter' ? theme.adapter : theme.base;
    if (s.std) {
      // Band: an invisible upper line filled down to the lower line that follows it.
      datasets.push(
        { label: `${s.label} +1 sd`, data: s.values.map((v, i) => v + s.std![i]!), borderWidth: 0, pointRadius: 0, fill: '+1', backgroundColor: withAlpha(color, 0.12) },
        { label: `${s.label} -1 sd`, data: s.values.map((v, i) => Math.max(0, v - s.std![i]!)), borderWidth: 0, pointRadius: 0, fill: false },
      );
    }
    datasets.push({ label: s.label, data: s.values, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 3, tension: 0, fill: false });
  }
  return {
    type: 'line',
    data: { labels: data.xLabels, datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: {
          labels: { color: theme.text, font: { family: theme.font }, boxWidth: 14, filter: (item) => !/ [+-]1 sd$/.test(item.text) },
        },
        tooltip: {
          filter: (item) => !/ [+-]1 sd$/.test(item.dataset.label ?? ''),
          callbacks: { label: (item) => `${item.dataset.label}: ${formatValue(item.parsed.y ?? Number.NaN)}` },
        },
      },
      scales: {
        x: { title: { display: true, text: data.xTitle, color: theme.muted }, ticks: { color: theme.muted }, grid: { color: theme.grid } },
        y: {
          beginAtZero: true,
          title: { display: true, text: data.yTitle, color: theme.muted },
          ticks: { color: theme.muted, callback: (v) => formatValue(Number(v)) },
          grid: { color: theme.grid },
        },
      },
    },
  };
}

export function createLineChart(canvas: HTMLCanvasElement, data: LineData): ChartHandle<LineData> {
  const chart = new Chart(canvas, config(data));
  return {
    update(next) {
      const c = config(next);
      chart.data = c.data;
      chart.options = c.options!;
      chart.update();
    },
    destroy: () => chart.destroy(),
  };
}
