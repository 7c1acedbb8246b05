/**
 * A heatmap with chart.js and the chartjs-chart-matrix plugin: a grid of cells, one per (row, column),
 * coloured by value on the viridis scale over [min, max] (shared by several heatmaps when the caller
 * passes the same range). Rows are drawn top to bottom in `yLabels` order.
 *
 * `createHeatmap(canvas, data)` returns `{update, destroy}`; lib/charts/attach.svelte.ts turns it into
 * an `{@attach}` attachment. No animation: a heatmap is read, not watched.
 */
import { Chart, LinearScale, Tooltip, type ChartConfiguration, type ScriptableContext } from 'chart.js';
import { MatrixController, MatrixElement, type MatrixDataPoint } from 'chartjs-chart-matrix';
import { formatValue, normalize, viridis } from './colorScale.ts';
import { chartTheme } from './theme.ts';

Chart.register(MatrixController, MatrixElement, LinearScale, Tooltip);

export interface HeatmapData {
  /** Column labels (layers, token pieces). */
  xLabels: string[];
  /** Row labels, top to bottom. */
  yLabels: string[];
  /** values[row][column]. */
  values: number[][];
  /** Colour range; values outside are clamped. */
  min: number;
  max: number;
  /** Axis titles. */
  xTitle: string;
  yTitle?: string;
  /** What a value is, for the tooltip ("mean MSE"). */
  valueLabel: string;
  /** Tooltip title of a column (defaults to its label), e.g. a token's position and text. */
  columnTitle?: (column: number) => string;
}

interface Cell extends MatrixDataPoint {
  v: number;
  /** Column index (labels may repeat, e.g. two identical tokens). */
  c: number;
}

export interface ChartHandle<T> {
  update(data: T): void;
  destroy(): void;
}

function cells(data: HeatmapData): Cell[] {
  return data.values.flatMap((row, r) => row.map((v, c) => ({ x: c, y: r, v, c })));
}

function config(data: HeatmapData): ChartConfiguration<'matrix', Cell[]> {
  const theme = chartTheme();
  const nx = Math.max(1, data.xLabels.length);
  const ny = Math.max(1, data.yLabels.length);
  return {
    type: 'matrix',
    data: {
      datasets: [
        {
          label: data.valueLabel,
          data: cells(data),
          backgroundColor: (ctx: ScriptableContext<'matrix'>) => viridis(normalize((ctx.raw as Cell).v, data.min, data.max)),
          borderWidth: 0,
          width: ({ chart }) => Math.max(1, (chart.chartArea?.width ?? 0) / nx - 1),
          height: ({ chart }) => Math.max(1, (chart.chartArea?.height ?? 0) / ny - 1),
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => {
              const cell = items[0]?.raw as Cell | undefined;
              if (!cell) return '';
              const column = data.columnTitle ? data.columnTitle(cell.c) : data.xLabels[cell.c];
              return `${data.yLabels[cell.y as number]} · ${column}`;
            },
            label: (item) => `${data.valueLabel}: ${formatValue((item.raw as Cell).v)}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          min: -0.5,
          max: nx - 0.5,
          offset: false,
          grid: { display: false },
          border: { display: false },
          title: { display: true, text: data.xTitle, color: theme.muted, font: { family: theme.font } },
          // One tick per column at its integer position (the axis runs from -0.5 to n - 0.5).
          afterBuildTicks: (axis) => {
            axis.ticks = data.xLabels.map((_, i) => ({ value: i }));
          },
          ticks: {
            autoSkip: true,
            autoSkipPadding: 0, // rotated token labels fit at one line height each
            maxRotation: 90,
            color: theme.muted,
            font: { family: theme.font, size: nx > 40 ? 10 : 11 },
            callback: (value) => (Number.isInteger(value) ? (data.xLabels[value as number] ?? '') : ''),
          },
        },
        y: {
          type: 'linear',
          min: -0.5,
          max: ny - 0.5,
          reverse: true,
          offset: false,
          grid: { display: false },
          border: { display: false },
          title: { display: !!data.yTitle, text: data.yTitle ?? '', color: theme.muted, font: { family: theme.font } },
          afterBuildTicks: (axis) => {
            axis.ticks = data.yLabels.map((_, i) => ({ value: i }));
          },
          ticks: {
            autoSkip: false,
            color: theme.text,
            font: { family: theme.font, size: 12 },
            callback: (value) => (Number.isInteger(value) ? (data.yLabels[value as number] ?? '') : ''),
          },
        },
      },
    },
  };
}

export function createHeatmap(canvas: HTMLCanvasElement, data: HeatmapData): ChartHandle<HeatmapData> {
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
