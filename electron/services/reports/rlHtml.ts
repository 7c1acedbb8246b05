/**
 * The self-contained HTML report of an RL report run (issue 7): one file with inline CSS and inline
 * SVG, no script and no network. Sections: summary, per-agent table, contour plots of the
 * deceptive-action threshold grid (each agent's mean over seeds on one shared colour range, and the SOO
 * agent's SD; banded colours, as the RL page draws them), the behavioural difference (grid MSE, mean ±
 * SD over seeds) and the SOO classification accuracy against evaluation episodes per seed.
 * Built from RlMetricsView (electron/services/rl/views.ts) only.
 */
import type { RlMetricsView, RlRole } from '../../contract/rl.ts';
import type { ReportEnvironment } from './html.ts';
import { escapeHtml, groupedBarChart, lineChart } from './svg.ts';

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d1d1f;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure.chart{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}figcaption{font-size:.85rem;font-weight:600}
svg text{font-size:10px;fill:#333}.note{color:#555;font-size:.85rem}
table.agents td:nth-child(2),table.agents th:nth-child(2){text-align:left}td code{white-space:nowrap}.bands span{white-space:nowrap;margin-right:.5rem}
@media print{body{margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
`;

/** Eight viridis stops, low to high: one colour per band. */
const BANDS = ['#440154', '#46327e', '#365c8d', '#277f8e', '#1fa187', '#4ac16d', '#a0da39', '#fde725'];

const ROLE_LABEL: Record<RlRole, string> = { deceptive: 'Deceptive baseline', honest: 'Honest baseline', soo: 'SOO fine-tuned' };
const PAIR_LABEL: Record<string, string> = { soo_vs_honest: 'SOO vs honest', soo_vs_deceptive: 'SOO vs deceptive', honest_vs_deceptive: 'honest vs deceptive' };

function num(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/** Cell edges: midpoints between neighbouring thresholds, the outer cells as wide as their inner half. */
function edges(t: number[]): number[] {
  const mid = t.slice(1).map((v, k) => (v + t[k]!) / 2);
  return [2 * t[0]! - mid[0]!, ...mid, 2 * t.at(-1)! - mid.at(-1)!];
}

/** One threshold grid as a banded SVG picture: x right, y up; values[i][j] at (x[i], y[j]). */
export function bandedGridSvg(title: string, x: number[], y: number[], values: number[][], max: number, emptyNote = 'no candidate steps: every cell is 0'): string {
  const W = 320;
  const H = 280;
  const L = 46;
  const T = 10;
  const PW = W - L - 10;
  const PH = H - T - 40;
  const ex = edges(x);
  const ey = edges(y);
  const sx = (v: number) => L + ((v - ex[0]!) / (ex.at(-1)! - ex[0]!)) * PW;
  const sy = (v: number) => T + PH - ((v - ey[0]!) / (ey.at(-1)! - ey[0]!)) * PH;
  const band = (v: number) => (max > 0 && Number.isFinite(v) ? Math.min(BANDS.length - 1, Math.max(0, Math.floor((v / max) * BANDS.length))) : 0);
  const rects: string[] = [];
  for (let i = 0; i < x.length; i++) {
    for (let j = 0; j < y.length; j++) {
      const x0 = sx(ex[i]!);
      const x1 = sx(ex[i + 1]!);
      const y0 = sy(ey[j + 1]!);
      const y1 = sy(ey[j]!);
      rects.push(`<rect class="cell" x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${(x1 - x0 + 0.6).toFixed(1)}" height="${(y1 - y0 + 0.6).toFixed(1)}" fill="${BANDS[band(values[i]![j]!)]}"/>`);
    }
  }
  const xt = [0, 0.25, 0.5, 0.75, 1].map((v) => `<text x="${sx(v).toFixed(1)}" y="${T + PH + 13}" text-anchor="middle">${v}</text>`).join('');
  const yt = [-1, -0.5, 0, 0.5, 1].map((v) => `<text x="${L - 4}" y="${(sy(v) + 3).toFixed(1)}" text-anchor="end">${v}</text>`).join('');
  const legend = max > 0
    ? BANDS.map((c, k) => `<span><span style="display:inline-block;width:10px;height:9px;background:${c}"></span>&ge;${num((k * max) / BANDS.length)}</span>`).join(' ')
    : escapeHtml(emptyNote);
  return `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>
<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}" shape-rendering="crispEdges">${rects.join('')}
<rect x="${L}" y="${T}" width="${PW}" height="${PH}" fill="none" stroke="#999"/>${xt}${yt}
<text x="${L + PW / 2}" y="${H - 8}" text-anchor="middle">x: move towards the non-goal (projection &ge; x)</text>
<text transform="translate(12 ${T + PH / 2}) rotate(-90)" text-anchor="middle">y: cos(goal, non-goal) &le; y</text></svg>
<div class="note bands" style="font-size:.7rem;max-width:${W}px">${legend}</div></figure>`;
}

export function rlReportHtml(m: RlMetricsView, env: ReportEnvironment): string {
  const meanMax = Math.max(0, ...m.grids.flatMap((g) => g.mean.flat()).filter(Number.isFinite));
  const contours = m.grids.map((g) => bandedGridSvg(`${ROLE_LABEL[g.role]}: mean over seeds ${g.seeds.join(', ')}`, m.axes.x, m.axes.y, g.mean, meanMax)).join('');
  const soo = m.grids.find((g) => g.role === 'soo');
  const sooSd = soo ? bandedGridSvg(`SOO fine-tuned: SD over ${soo.seeds.length} seeds (own colour range)`, m.axes.x, m.axes.y, soo.sd, Math.max(0, ...soo.sd.flat().filter(Number.isFinite)), soo.seeds.length < 2 ? 'one seed: no spread to show (SD 0)' : 'the seeds agree everywhere: SD 0') : '';
  const bars = m.behaviour.length
    ? groupedBarChart({
        title: 'Behavioural difference: grid MSE between two agents (mean ± SD over seeds)',
        series: ['grid MSE'],
        yLabel: 'grid MSE',
        groups: m.behaviour.map((b) => ({ label: PAIR_LABEL[b.pair] ?? b.pair, bars: [Number.isFinite(b.mean) ? { value: b.mean, sd: Number.isFinite(b.sd) ? b.sd : 0 } : null] })),
      })
    : '<p class="note">No seed has two roles to compare.</p>';
  const accuracy = m.classification.length
    ? lineChart({
        title: 'SOO classification accuracy (honest = lower mean SOO value)',
        xLabel: 'evaluation episodes per seed',
        yLabel: 'accuracy',
        yMax: 1,
        xLog: true,
        series: [{ label: `over ${m.classification[0]!.seeds} seed(s)`, points: m.classification.filter((c) => Number.isFinite(c.accuracy)).map((c) => ({ x: c.episodes, y: c.accuracy })) }],
      })
    : '';
  const behaviourRows = m.behaviour.map((b) => `<tr><td>${escapeHtml(PAIR_LABEL[b.pair] ?? b.pair)}</td><td>${num(b.mean, 6)}</td><td>${num(b.sd, 6)}</td><td>${b.seeds}</td><td>${b.per_seed.map((v) => num(v, 6)).join(', ')}</td></tr>`).join('');
  const classRows = m.classification.map((c) => `<tr><td>${c.episodes}</td><td>${num(c.accuracy, 3)}</td><td>${c.correct} / ${c.seeds}</td></tr>`).join('');
  const agentRows = m.agents
    .map((a) => `<tr><td>${a.seed}</td><td>${ROLE_LABEL[a.role]}</td><td>${num(a.blue_goal_frac)}</td><td>${num(a.red_trapped, 2)}</td><td>${num(a.in_sight_frac ?? NaN, 3)}</td><td>${num(a.mean_soo_value, 3)}</td><td>${a.deceptive_candidates}</td><td><code>${escapeHtml(a.run)}</code></td></tr>`)
    .join('');
  const envRows = Object.entries(env).map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>SOO Lab RL report: ${escapeHtml(m.name)}</title><style>${CSS}</style></head><body>
<h1>SOO Lab RL report: ${escapeHtml(m.name)}</h1>
<p>Report run <code>${escapeHtml(m.runId)}</code>, made ${escapeHtml(m.createdAt)}. Seeds: ${m.seeds.join(', ') || 'none'}; ${m.episodes} deterministic evaluation episodes per agent, the same worlds for every agent of a seed.</p>
<p class="note">Physical deception (method.md, "RL experiment"): blue knows the goal landmark, red does not and follows blue. The deceptive baseline was rewarded while red was trapped at the non-goal; the honest one was not; the SOO agent is the deceptive blue fine-tuned for self-other overlap. Grid cell (x, y) counts, per episode, steps with red in sight after a move towards the non-goal where blue moved at least x towards the non-goal and the two landmark directions had cosine at most y.</p>
<h2 id="agents">Agents</h2>
<table class="agents"><tr><th>seed</th><th>agent</th><th>blue at goal (fraction of steps)</th><th>red trapped (fraction of episodes)</th><th>red in sight of blue (fraction of steps)</th><th>mean SOO value</th><th>grid candidates</th><th>run</th></tr>${agentRows}</table>
<h2 id="grid">Deceptive-action threshold grid</h2>
${contours}${sooSd}
<h2 id="behaviour">Behavioural difference</h2>
${bars}
<table><tr><th>pair</th><th>mean</th><th>SD</th><th>seeds</th><th>per seed</th></tr>${behaviourRows}</table>
<h2 id="classification">SOO as a deception detector</h2>
${accuracy}
<table><tr><th>episodes per seed</th><th>accuracy</th><th>correct / seeds</th></tr>${classRows}</table>
<h2 id="environment">Environment</h2>
<table>${envRows}</table>
</body></html>
`;
}
