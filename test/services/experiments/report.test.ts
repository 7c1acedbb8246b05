/**
 * Report pieces without a model: CSV per RFC 4180 (quotes, commas, line breaks, nulls), the seed
 * statistics against hand-computed population SD, and the HTML escaping of user text.
 */
import { describe, expect, it } from 'vitest';
import { aggregateSeeds, populationSd } from '../../../electron/services/experiments/stats.ts';
import { escapeHtml, groupedBarChart, lineChart } from '../../../electron/services/reports/svg.ts';
import { tableToCsv } from '../../../electron/services/reports/tables.ts';

describe('report pieces', () => {
  it('writes CSV with quoting and empty cells for null', () => {
    const csv = tableToCsv({ name: 't', title: 't', columns: ['a', 'b,c'], rows: [['x "y"', 0.125], [null, 'line\nbreak']] });
    expect(csv).toBe('a,"b,c"\r\n"x ""y""",0.125\r\n,"line\nbreak"\r\n');
  });

  it('population SD divides by n (published convention), not n - 1', () => {
    // values 0.1, 0.3: mean 0.2, deviations +-0.1 -> population SD 0.1 (sample SD would be 0.1414)
    expect(populationSd([0.1, 0.3])).toBeCloseTo(0.1, 15);
    const a = aggregateSeeds([{ seed: 0, value: 1 }, { seed: 1, value: 2 }, { seed: 2, value: 6 }]);
    expect(a.mean).toBe(3);
    expect(a.sd).toBeCloseTo(Math.sqrt((4 + 1 + 9) / 3), 15);
    expect(a.perSeed.map((p) => p.seed)).toEqual([0, 1, 2]);
  });

  it('escapes user text in charts', () => {
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const svg = groupedBarChart({ title: '<t>', series: ['before', 'after'], yLabel: 'y', groups: [{ label: '<script>', bars: [{ value: 10 }, { value: 20, sd: 5 }] }] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('class="errorbar"');
  });

  it('lineChart xLog spaces 1, 10, 100, 1000 evenly (a linear axis crowds them at the left)', () => {
    const points = [1, 10, 100, 1000].map((x) => ({ x, y: 0.5 }));
    const cx = (svg: string) => [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    const log = cx(lineChart({ title: 't', xLabel: 'episodes', yLabel: 'a', yMax: 1, xLog: true, series: [{ label: 's', points }] }));
    const gaps = log.slice(1).map((v, i) => v - log[i]!);
    expect(gaps).toHaveLength(3);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 0);
    expect(gaps[0]!).toBeGreaterThan(100);
    const linear = cx(lineChart({ title: 't', xLabel: 'episodes', yLabel: 'a', yMax: 1, series: [{ label: 's', points }] }));
    expect(linear[2]! - linear[0]!).toBeLessThan(60);
  });
});
