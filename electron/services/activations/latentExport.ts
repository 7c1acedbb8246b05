/**
 * The numbers of a latent SOO job as text files.
 *
 * CSV: one tidy table, one value per row, columns `model,layer,statistic,pair,token,value`:
 *   - statistic `mean` / `std`: over the pairs at that layer (pair and token empty);
 *   - statistic `pair`: one pair's MSE (pair = its index, token empty);
 *   - statistic `token`: one token position's MSE of a pair opened in the per-token view.
 *   `model` is `base` or `adapter`. Numbers are written with full float64 precision.
 * JSON: the whole `LatentResult` plus the per-token results, under `format: "soo-lab.latent"`.
 */
import path from 'node:path';
import type { ExportText, LatentLayerStat, LatentResult, PerTokenResult } from '../../contract/api.ts';

export const LATENT_CSV_HEADER = 'model,layer,statistic,pair,token,value';

export function latentCsv(result: LatentResult, perToken: readonly PerTokenResult[] = []): string {
  const lines = [LATENT_CSV_HEADER];
  const series = (model: string, stats: readonly LatentLayerStat[]) => {
    for (const s of stats) {
      lines.push(`${model},${s.layer},mean,,,${s.mean}`, `${model},${s.layer},std,,,${s.std}`);
      s.perPair.forEach((v, pair) => lines.push(`${model},${s.layer},pair,${pair},,${v}`));
    }
  };
  series('base', result.base);
  if (result.adapter) series('adapter', result.adapter);
  for (const p of perToken) {
    const matrix = (model: string, rows: readonly (readonly number[])[]) =>
      rows.forEach((row, i) => row.forEach((v, t) => lines.push(`${model},${p.layers[i]},token,${p.pairIndex},${t},${v}`)));
    matrix('base', p.base);
    if (p.adapter) matrix('adapter', p.adapter);
  }
  return `${lines.join('\n')}\n`;
}

export function latentJson(result: LatentResult, perToken: readonly PerTokenResult[] = []): string {
  return `${JSON.stringify({ format: 'soo-lab.latent', version: 1, ...result, perToken }, null, 2)}\n`;
}

export function exportLatent(result: LatentResult, perToken: readonly PerTokenResult[], format: 'csv' | 'json'): ExportText {
  const stem = `latent-${path.basename(result.modelPath).replace(/\.gguf$/i, '')}${result.adapterPath ? '-adapter' : ''}-${result.positions}`;
  return format === 'csv'
    ? { fileName: `${stem}.csv`, mimeType: 'text/csv', text: latentCsv(result, perToken) }
    : { fileName: `${stem}.json`, mimeType: 'application/json', text: latentJson(result, perToken) };
}
