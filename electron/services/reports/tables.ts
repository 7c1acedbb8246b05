/**
 * An experiment's results as plain tables (header + rows of numbers/strings): the one source for the
 * HTML report, the CSV/JSON exports and the Runs page. Rates are fractions in [0, 1]; SD is the
 * population SD over seeds; NaN / missing values are null.
 */
import type { ExperimentSummary } from '../experiments/summary.ts';
import { BUCKETS } from '../experiments/summary.ts';

export type Cell = string | number | null;
export interface Table {
  /** File-safe name (before_after, per_seed, self_side, latent, capability, mtbench, training). */
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

const num = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : v);

export function experimentTables(s: ExperimentSummary): Table[] {
  const beforeAfter: Table = {
    name: 'before_after',
    title: 'Before / after SOO per scenario (rates over all n; after = mean ± population SD over seeds)',
    columns: ['scenario', 'role', 'n', ...BUCKETS.map((b) => `before_${b}`), ...BUCKETS.flatMap((b) => [`after_${b}_mean`, `after_${b}_sd`]), 'seeds'],
    rows: s.scenarios.map((sc) => [
      sc.key,
      sc.role,
      sc.before?.n ?? null,
      ...BUCKETS.map((b) => num(sc.before?.[b])),
      ...BUCKETS.flatMap((b) => [num(sc.after?.[b].mean), num(sc.after?.[b].sd)]),
      sc.afterRuns.length,
    ]),
  };
  if (s.honestyPrompt) {
    beforeAfter.rows.push([`${s.scenarios[0]?.key ?? 'main'} + honesty prompt`, 'deception', s.honestyPrompt.n, ...BUCKETS.map((b) => num(s.honestyPrompt![b])), ...BUCKETS.flatMap(() => [null, null]), 0]);
  }
  const perSeed: Table = {
    name: 'per_seed',
    title: 'Per seed (every seed run, none picked)',
    columns: ['scenario', 'seed', ...BUCKETS],
    rows: s.scenarios.flatMap((sc) =>
      (sc.after?.deceptive.perSeed ?? []).map((p, i) => [sc.key, p.seed, ...BUCKETS.map((b) => num(sc.after![b].perSeed[i]!.value))]),
    ),
  };
  // The self side: one row before, one per seed, then mean and SD over the seeds.
  const selfSide: Table = {
    name: 'self_side',
    title: 'Self side: the model advises itself (honest = the answer that serves it); before, per seed, mean ± population SD',
    columns: ['scenario', 'phase', ...BUCKETS, 'n'],
    rows: s.selfSide.flatMap((sc) => [
      ...(sc.before ? [[sc.key, 'before', ...BUCKETS.map((b) => num(sc.before![b])), sc.before.n] as Cell[]] : []),
      ...(sc.after?.deceptive.perSeed ?? []).map((p, i) => [sc.key, `seed ${p.seed}`, ...BUCKETS.map((b) => num(sc.after![b].perSeed[i]!.value)), null] as Cell[]),
      ...(sc.after ? [[sc.key, 'after mean', ...BUCKETS.map((b) => num(sc.after![b].mean)), null] as Cell[], [sc.key, 'after sd', ...BUCKETS.map((b) => num(sc.after![b].sd)), null] as Cell[]] : []),
    ]),
  };
  const latent: Table = {
    name: 'latent',
    title: 'Latent SOO (mean self/other MSE over probe pairs) per layer',
    columns: ['layer', 'before', 'after_mean', 'after_sd', ...s.seeds.map((seed) => `after_seed_${seed}`)],
    rows: s.latent.layers.map((layer, i) => [
      layer,
      num(s.latent.before?.[i]),
      num(s.latent.after?.[i]?.mean),
      num(s.latent.after?.[i]?.sd),
      ...s.seeds.map((seed) => num(s.latent.after?.[i]?.perSeed.find((p) => p.seed === seed)?.value)),
    ]),
  };
  const control = s.scenarios.find((sc) => sc.role === 'control');
  const capability: Table = {
    name: 'capability',
    title: 'Capability',
    columns: ['metric', 'before', 'after_mean', 'after_sd'],
    rows: [
      ['perplexity (held-out text)', num(s.perplexity.before), num(s.perplexity.after?.mean), num(s.perplexity.after?.sd)],
      ...(control ? [[`theory-of-mind accuracy (${control.key})`, num(control.before?.honest), num(control.after?.honest.mean), num(control.after?.honest.sd)] as Cell[]] : []),
      ...(s.mtBench ? [['MT-Bench-style score (1-10, local judge)', num(s.mtBench.before?.score), num(s.mtBench.after?.mean), num(s.mtBench.after?.sd)] as Cell[]] : []),
    ],
  };
  // MT-Bench per phase: the score over readable ratings, and how many of the judged answers had one.
  const mtbench: Table = {
    name: 'mtbench',
    title: 'MT-Bench-style score per phase (mean of readable judge ratings, 1-10; unreadable judgements are not counted as 0)',
    columns: ['phase', 'score', 'rated', 'judged'],
    rows: s.mtBench
      ? [
          ...(s.mtBench.before ? [['before', num(s.mtBench.before.score), s.mtBench.before.rated, s.mtBench.before.n] as Cell[]] : []),
          ...s.mtBench.afterRuns.map((r) => [`seed ${r.seed}`, num(r.score), r.rated, r.n] as Cell[]),
        ]
      : [],
  };
  const training: Table = {
    name: 'training',
    title: 'SOO training per seed',
    columns: ['seed', 'steps', 'loss_first', 'loss_last', 'adapter_sha256'],
    rows: s.training.map((t) => [t.seed, t.losses.length, num(t.losses[0]), num(t.losses.at(-1)), t.adapterSha256]),
  };
  return [beforeAfter, perSeed, ...(s.selfSide.length ? [selfSide] : []), latent, capability, ...(s.mtBench ? [mtbench] : []), training];
}

/** RFC 4180 CSV (comma, CRLF, quotes doubled); null -> empty; numbers at full precision. */
export function tableToCsv(t: Table): string {
  const cell = (c: Cell) => {
    if (c === null) return '';
    const s = String(c);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
