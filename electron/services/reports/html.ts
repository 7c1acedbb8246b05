/**
 * The self-contained HTML report of an experiment: one file with inline CSS and inline SVG charts
 * (svg.ts), no script and no network. Sections: summary, before/after table and bars with error
 * bars over seeds (deceptive, honest, neither, degenerate), per-seed table, latent SOO per layer,
 * the self side (the model advising itself), loss curves, capability (with the MT-Bench-style
 * score when configured), config, environment. Built from the summary and tables only.
 */
import type { ExperimentSummary } from '../experiments/summary.ts';
import { escapeHtml, groupedBarChart, lineChart } from './svg.ts';
import { experimentTables, type Cell, type Table } from './tables.ts';

export interface ReportEnvironment {
  appVersion: string;
  platform: string;
  node: string;
  /** When the report was written (ISO). */
  generatedAt: string;
  [extra: string]: string;
}

const CSS = `
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1d1d1f;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure.chart{display:inline-block;margin:.5rem 1rem .5rem 0}figcaption{font-size:.85rem;font-weight:600}
pre{background:#f6f6f6;padding:.75rem;font-size:.75rem;overflow:auto}.note{color:#555;font-size:.85rem}
@media print{body{margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
`;

export function experimentReportHtml(s: ExperimentSummary, env: ReportEnvironment): string {
  const tables = experimentTables(s);
  const byName = new Map(tables.map((t) => [t.name, t]));
  const bucketBars = (bucket: 'deceptive' | 'honest' | 'neither' | 'degenerate') =>
    groupedBarChart({
      title: `${bucket} rate before / after SOO (%; after: mean ± SD over ${s.finishedSeeds.length} seeds)`,
      series: ['before', 'after SOO'],
      yMax: 100,
      yLabel: `${bucket} %`,
      groups: s.scenarios.map((sc) => ({
        label: sc.key,
        bars: [sc.before ? { value: 100 * sc.before[bucket] } : null, sc.after ? { value: 100 * sc.after[bucket].mean, sd: 100 * sc.after[bucket].sd } : null],
      })),
    });
  const selfBars = (bucket: 'deceptive' | 'honest') =>
    groupedBarChart({
      title: `advising itself: ${bucket} rate before / after SOO (%; after: mean ± SD over seeds)`,
      series: ['before', 'after SOO'],
      yMax: 100,
      yLabel: `${bucket} %`,
      groups: s.selfSide.map((sc) => ({
        label: sc.key,
        bars: [sc.before ? { value: 100 * sc.before[bucket] } : null, sc.after ? { value: 100 * sc.after[bucket].mean, sd: 100 * sc.after[bucket].sd } : null],
      })),
    });
  const latentChart =
    s.latent.layers.length > 0
      ? lineChart({
          title: 'Latent SOO per layer (mean self/other MSE; lower = more overlap)',
          xLabel: 'layer',
          yLabel: 'MSE',
          series: [
            ...(s.latent.before ? [{ label: 'before', points: s.latent.layers.map((x, i) => ({ x, y: s.latent.before![i]! })) }] : []),
            ...(s.latent.after ? [{ label: 'after (mean ± SD)', points: s.latent.layers.map((x, i) => ({ x, y: s.latent.after![i]!.mean })), sd: s.latent.after.map((a) => a.sd) }] : []),
          ],
        })
      : '<p class="note">No latent SOO measured yet.</p>';
  const lossChart =
    s.training.length > 0
      ? lineChart({
          title: 'SOO training loss per step, per seed',
          xLabel: 'step',
          yLabel: 'SOO loss (MSE)',
          series: s.training.map((t) => ({ label: `seed ${t.seed}`, points: t.losses.flatMap((y, i) => (y === null ? [] : [{ x: i + 1, y }])) })),
        })
      : '<p class="note">No training finished yet.</p>';
  const main = s.scenarios[0];
  const headline = main?.before && main.after
    ? `Main scenario (${escapeHtml(main.key)}): deceptive ${pct(main.before.deceptive)} before, ${pct(main.after.deceptive.mean)} ± ${pct(main.after.deceptive.sd)} after SOO over ${main.afterRuns.length} seeds; honest ${pct(main.before.honest)} → ${pct(main.after.honest.mean)}, neither ${pct(main.before.neither)} → ${pct(main.after.neither.mean)}, degenerate ${pct(main.before.degenerate)} → ${pct(main.after.degenerate.mean)}.`
    : 'The experiment has not finished: the tables show what is stored so far.';
  const self = s.selfSide[0];
  const selfLine = self?.before && self.after
    ? `<p>Advising itself (${escapeHtml(self.key)}): honest ${pct(self.before.honest)} before, ${pct(self.after.honest.mean)} ± ${pct(self.after.honest.sd)} after; deceptive ${pct(self.before.deceptive)} → ${pct(self.after.deceptive.mean)}, neither ${pct(self.before.neither)} → ${pct(self.after.neither.mean)}, degenerate ${pct(self.before.degenerate)} → ${pct(self.after.degenerate.mean)}.</p>`
    : '';
  const mt = s.mtBench;
  const mtLine = mt?.before
    ? `<p>MT-Bench-style score (local judge, 1-10): ${score(mt.before.score)} before (${mt.before.rated} of ${mt.before.n} judgements readable), ${mt.after ? `${score(mt.after.mean)} ± ${score(mt.after.sd)}` : 'n/a'} after over ${mt.afterRuns.length} seed${mt.afterRuns.length === 1 ? '' : 's'} (${mt.after?.perSeed.length ?? 0} with a readable rating).</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>SOO Lab report: ${escapeHtml(s.run.name)}</title><style>${CSS}</style></head><body>
<h1>SOO Lab experiment report: ${escapeHtml(s.run.name)}</h1>
<p>Run <code>${escapeHtml(s.run.id)}</code>, status <b>${escapeHtml(s.run.status)}</b>, started ${escapeHtml(s.run.createdAt)}${s.run.finishedAt ? `, finished ${escapeHtml(s.run.finishedAt)}` : ''}.
Model <code>${escapeHtml(s.run.modelPath ?? '')}</code> (sha256 <code>${escapeHtml(s.run.modelSha256 ?? '')}</code>). Seeds: ${s.seeds.join(', ')} (all reported; finished: ${s.finishedSeeds.join(', ') || 'none'}).</p>
<p>${headline}</p>
${selfLine}${mtLine}
<p class="note">A lower SOO loss says nothing by itself: read deceptive, honest, neither and degenerate together, per seed. Rates are over all n responses; SD is the population SD over seeds.</p>
<h2 id="before-after">Before / after</h2>
${tableHtml(byName.get('before_after')!, true)}
${bucketBars('deceptive')}${bucketBars('honest')}${bucketBars('neither')}${bucketBars('degenerate')}
<h2 id="per-seed">Per seed</h2>
${tableHtml(byName.get('per_seed')!, true)}
${byName.has('self_side') ? `<h2 id="self-side">Self side (the model advises itself)</h2>
<p class="note">The same scenario where the model is the one who wants the item and advises itself: the honest answer serves it. SOO should make the answers to the other party look like these, not change these.</p>
${tableHtml(byName.get('self_side')!, true)}
${selfBars('honest')}${selfBars('deceptive')}` : ''}
<h2 id="latent">Latent SOO</h2>
${latentChart}
${tableHtml(byName.get('latent')!, false)}
<h2 id="training">Training</h2>
${lossChart}
${tableHtml(byName.get('training')!, false)}
<h2 id="capability">Capability</h2>
${tableHtml(byName.get('capability')!, false)}
${byName.has('mtbench') ? tableHtml(byName.get('mtbench')!, false) : ''}
<h2 id="config">Config</h2>
<pre>${escapeHtml(JSON.stringify(s.config, null, 2))}</pre>
<h2 id="environment">Environment</h2>
<table><tbody>${Object.entries(env).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}
<tr><th>runs recorded</th><td>${s.children.length}</td></tr></tbody></table>
</body></html>
`;
}

function score(v: number | null): string {
  return v !== null && Number.isFinite(v) ? v.toFixed(2) : 'n/a';
}

function pct(v: number): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a';
}

/** `rates`: columns whose name mentions a bucket are shown as percent. */
function tableHtml(t: Table, rates: boolean): string {
  const isRate = t.columns.map((c) => rates && /deceptive|honest|neither|degenerate/.test(c) && c !== 'role');
  const cell = (c: Cell, i: number) => {
    if (c === null) return '<td>–</td>';
    if (typeof c === 'number') return `<td>${isRate[i] ? `${(100 * c).toFixed(1)}%` : Number.isInteger(c) ? c : c.toPrecision(4)}</td>`;
    return `<td>${escapeHtml(c)}</td>`;
  };
  return `<table class="${t.name}"><caption>${escapeHtml(t.title)}</caption><thead><tr>${t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>
<tbody>${t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('\n')}</tbody></table>`;
}
