/**
 * A contour plot of the deceptive-action threshold grid with chart.js: chart.js has no contour type,
 * so the grid is a chartjs-chart-matrix heatmap whose cells are coloured by BAND (the value quantised
 * to `levels` equal steps of [0, max], viridis), and a small plugin draws the iso-lines between bands
 * with marching squares over the cell centres.
 *
 * values[i][j]: i indexes x thresholds (axes.x, projection of blue's move on the direction to the
 * non-goal, 0..1), j indexes y thresholds (axes.y, cosine of goal and non-goal directions, -1..1).
 * `createContour(canvas, data)` returns `{update, destroy}` like lib/charts/heatmap.ts.
 */
import { Chart, LinearScale, Tooltip, type ChartConfiguration, type Plugin, type ScriptableContext } from 'chart.js';
import { MatrixController, MatrixElement, type MatrixDataPoint } from 'chartjs-chart-matrix';
import { formatValue } from '../../lib/charts/colorScale.ts';
import { bandColor, bandOf, isoSegments } from './contourMath.ts';
import type { ChartHandle } from '../../lib/charts/heatmap.ts';
import { chartTheme } from '../../lib/charts/theme.ts';

Chart.register(MatrixController, MatrixElement, LinearScale, Tooltip);

export interface ContourData {
  x: number[];
  y: number[];
  values: number[][];
  /** Upper end of the colour range (shared by plots that are compared); bands are [k max/levels, (k+1) max/levels). */
  max: number;
  levels: number;
  /** What a value is ("candidates per episode"). */
  valueLabel: string;
}

interface Cell extends MatrixDataPoint {
  v: number;
  /** Half the span to the neighbouring thresholds on each axis (thresholds need not be evenly spaced). */
  hx: number;
  hy: number;
}

/** For each threshold, the larger half-gap to its neighbours (a lone threshold spans `fallback`). */
function halfSpans(t: number[], fallback: number): number[] {
  return t.map((v, k) => Math.max(k > 0 ? (v - t[k - 1]!) / 2 : 0, k + 1 < t.length ? (t[k + 1]! - v) / 2 : 0) || fallback / 2);
}

function config(data: ContourData): ChartConfiguration<'matrix', Cell[]> {
  const theme = chartTheme();
  const nx = Math.max(1, data.x.length);
  const ny = Math.max(1, data.y.length);
  const dx = nx > 1 ? data.x[1]! - data.x[0]! : 1;
  const dy = ny > 1 ? data.y[1]! - data.y[0]! : 1;
  const hxs = halfSpans(data.x, 1);
  const hys = halfSpans(data.y, 2);
  const cells: Cell[] = data.values.flatMap((row, i) => row.map((v, j) => ({ x: data.x[i]!, y: data.y[j]!, v, hx: hxs[i]!, hy: hys[j]! })));
  const isoLines: Plugin<'matrix'> = {
    id: 'isoLines',
    afterDatasetsDraw(chart) {
      if (!(data.max > 0)) return;
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      ctx.beginPath();
      ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
      ctx.clip();
      ctx.strokeStyle = 'rgb(255 255 255 / 0.85)';
      ctx.lineWidth = 1.1;
      for (let k = 1; k < data.levels; k++) {
        ctx.beginPath();
        for (const [x0, y0, x1, y1] of isoSegments(data.x, data.y, data.values, (k * data.max) / data.levels)) {
          ctx.moveTo(scales.x!.getPixelForValue(x0), scales.y!.getPixelForValue(y0));
          ctx.lineTo(scales.x!.getPixelForValue(x1), scales.y!.getPixelForValue(y1));
        }
        ctx.stroke();
      }
      ctx.restore();
    },
  };
  return {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: data.valueLabel,
          data: cells,
          backgroundColor: (ctx: ScriptableContext<'matrix'>) => bandColor(bandOf((ctx.raw as Cell).v, data.max, data.levels), data.levels),
          borderWidth: 0,
          // Each cell covers up to its neighbours (+1 px so no hairline gaps show between bands).
          width: ({ chart, raw }) => {
            const c = raw as Cell;
            return Math.abs(chart.scales.x!.getPixelForValue(Number(c.x) + c.hx) - chart.scales.x!.getPixelForValue(Number(c.x) - c.hx)) + 1;
          },
          height: ({ chart, raw }) => {
            const c = raw as Cell;
            return Math.abs(chart.scales.y!.getPixelForValue(Number(c.y) + c.hy) - chart.scales.y!.getPixelForValue(Number(c.y) - c.hy)) + 1;
          },
        },
      ],
    },
    plugins: [isoLines],
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => {
              const c = items[0]?.raw as Cell | undefined;
              return c ? `x ≥ ${Number(c.x).toFixed(2)}, y ≤ ${Number(c.y).toFixed(2)}` : '';
            },
            label: (item) => `${data.valueLabel}: ${formatValue((item.raw as Cell).v)}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: data.x[0]! - dx / 2,
          max: data.x[nx - 1]! + dx / 2,
          offset: false,
          grid: { display: false },
          title: { display: true, text: 'x: move towards the non-goal (projection ≥ x)', color: theme.muted, font: { family: theme.font, size: 11 } },
          afterBuildTicks: (axis) => {
            axis.ticks = [0, 0.25, 0.5, 0.75, 1].map((value) => ({ value }));
          },
          ticks: { color: theme.muted, font: { family: theme.font, size: 10 }, callback: (v) => Number(v).toFixed(2) },
        },
        y: {
          reverse: false, // -1 at the bottom (chartjs-chart-matrix's defaults put the first row on top)
          type: 'linear',
          min: data.y[0]! - dy / 2,
          max: data.y[ny - 1]! + dy / 2,
          offset: false,
          grid: { display: false },
          title: { display: true, text: 'y: cos(goal, non-goal) ≤ y', color: theme.muted, font: { family: theme.font, size: 11 } },
          afterBuildTicks: (axis) => {
            axis.ticks = [-1, -0.5, 0, 0.5, 1].map((value) => ({ value }));
          },
          ticks: { color: theme.muted, font: { family: theme.font, size: 10 }, callback: (v) => Number(v).toFixed(1) },
        },
      },
    },
  };
}

export function createContour(canvas: HTMLCanvasElement, data: ContourData): ChartHandle<ContourData> {
  // The iso-line plugin closes over its data, so an update builds the chart anew (a plot is read, not animated).
  let chart = new Chart(canvas, config(data));
  return {
    update(next) {
      chart.destroy();
      chart = new Chart(canvas, config(next));
    },
    destroy: () => chart.destroy(),
  };
}
