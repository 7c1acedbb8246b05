/**
 * The RL report's behavioural difference as error bars (lib/charts/errorBars.ts): one bar per pair of
 * roles, the grid MSE between their deceptive-action grids, mean ± SD over the seeds having both.
 */
import type { RlMetricsView } from '../../../electron/contract/api.ts';
import type { ErrorBarData } from '../../lib/charts/errorBarData.ts';

const PAIR_LABEL: Record<string, string> = { soo_vs_honest: 'SOO vs honest', soo_vs_deceptive: 'SOO vs deceptive', honest_vs_deceptive: 'honest vs deceptive' };
const PAIR_COLOR: Record<string, string> = { soo_vs_honest: '#2f6f62', soo_vs_deceptive: '#a3361a', honest_vs_deceptive: '#7b857f' };

/** Null when the report has no pair to compare. */
export function behaviourBars(behaviour: RlMetricsView['behaviour']): ErrorBarData | null {
  if (behaviour.length === 0) return null;
  return {
    labels: behaviour.map((b) => PAIR_LABEL[b.pair] ?? b.pair),
    series: [
      {
        label: 'grid MSE',
        values: behaviour.map((b) => b.mean),
        sd: behaviour.map((b) => b.sd),
        n: behaviour.map((b) => b.seeds),
        perSeed: behaviour.map((b) => b.per_seed.map((value) => ({ value }))),
        colors: behaviour.map((b) => PAIR_COLOR[b.pair] ?? '#888'),
      },
    ],
    yTitle: 'grid MSE',
  };
}
