/**
 * The renderer's pure helpers checked against the services they mirror (no browser): the designer
 * finds a field's issues by JSON path and highlights `{references}`, so its path format and template
 * reading must agree with what the services produce. Lives with the e2e tests because it guards the
 * browser-facing contract; it needs nothing but Node.
 */
import { describe, expect, it } from 'vitest';
import { jsonPath as servicesJsonPath } from '../../electron/services/api/dispatch.ts';
import { parseTemplate } from '../../electron/services/scenarios/template.ts';
import { jsonPath, isWithin } from '../../renderer/lib/pack/paths.ts';
import { markValues, segmentTemplate, type KnownNames } from '../../renderer/lib/pack/template.ts';
import { renameRef, uniqueName, renameKey } from '../../renderer/lib/pack/drafts.ts';
import { beforeAfterBars, tooltipLines, whiskers, yRange, type ErrorBarData } from '../../renderer/lib/charts/errorBarData.ts';
import { behaviourBars } from '../../renderer/pages/RL/behaviourBars.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const known: KnownNames = { placeholders: new Set(['room', 'party']), party: 'party', phrases: new Set(['verb']) };

describe('renderer pack helpers', () => {
  it('writes JSON paths exactly as the services do', () => {
    const cases: (string | number)[][] = [
      [],
      ['lists', 'rooms', 'test', 3],
      ['pairs', 'train', 0, 'self'],
      ['lists', 'odd key', 'train'],
      ['phrases', 'a-b_c'],
      ['variants', 12, 'lists', '9lives'],
    ];
    for (const segments of cases) expect(jsonPath(...segments)).toBe(servicesJsonPath(segments));
  });

  it('tells whether a path lies inside another', () => {
    expect(isWithin('$.lists.rooms.test[3]', '$.lists.rooms.test')).toBe(true);
    expect(isWithin('$.lists.rooms.test', '$.lists.rooms.test')).toBe(true);
    expect(isWithin('$.lists.roomsExtra', '$.lists.rooms')).toBe(false);
    expect(isWithin('$.lists', '$.lists.rooms')).toBe(false);
  });

  it('finds the same references as the services template parser', () => {
    const templates = [
      'You want the {room}; {party} asks you to {verb} it.',
      'Literal {{braces}} and {nosuch} and }} {room}',
      'Unclosed { brace then {room}',
      '{bad name} {9x} {room}{party}',
      '',
    ];
    for (const t of templates) {
      // The designer also draws malformed `{bad name}` as (unknown) references; the parser keeps them as text.
      const ours = segmentTemplate(t, known).flatMap((s) => (s.type === 'ref' && NAME.test(s.name) ? [s.name] : []));
      const theirs = parseTemplate(t).tokens.flatMap((tok) => (tok.kind === 'ref' ? [tok.name] : []));
      expect(ours).toEqual(theirs);
    }
  });

  it('classifies references by what they name', () => {
    const kinds = segmentTemplate('{room} {party} {verb} {nosuch}', known).flatMap((s) => (s.type === 'ref' ? [s.kind] : []));
    expect(kinds).toEqual(['placeholder', 'party', 'phrase', 'unknown']);
    // Literal text, braces unescaped, survives segmentation unchanged.
    const text = segmentTemplate('a {{b}} c', known).map((s) => (s.type === 'text' ? s.text : s.raw)).join('');
    expect(text).toBe('a {b} c');
  });

  it('renames references but not literal braces', () => {
    expect(renameRef('{room} and {{room}} and {roomy}', 'room', 'hall')).toBe('{hall} and {{room}} and {roomy}');
  });

  it('marks answer values, longest first', () => {
    const parts = markValues('the living room and the room', { deceptive: 'room', honest: 'living room' });
    expect(parts).toEqual([{ text: 'the ' }, { text: 'living room', mark: 'honest' }, { text: ' and the ' }, { text: 'room', mark: 'deceptive' }]);
  });

  it('picks unused names and renames keys in order', () => {
    expect(uniqueName('list', ['list', 'list-2'])).toBe('list-3');
    expect(Object.keys(renameKey({ a: 1, b: 2, c: 3 }, 'b', 'x'))).toEqual(['a', 'x', 'c']);
  });
});

describe('error-bar chart data (lib/charts/errorBarData.ts)', () => {
  // Two scenarios: one measured before and after (3 seeds), one measured only before.
  const perSeed = [
    { seed: 0, value: 0.25 },
    { seed: 1, value: 0.5 },
    { seed: 2, value: 1 },
  ];
  const mean = (0.25 + 0.5 + 1) / 3;
  const popSd = Math.sqrt(((0.25 - mean) ** 2 + (0.5 - mean) ** 2 + (1 - mean) ** 2) / 3);
  const groups = [
    { label: 'main', before: 0.75, after: { mean, sd: popSd, perSeed } },
    { label: 'mirror', before: 0.5, after: null },
  ];

  it('shapes before/after groups into a base series and an adapter series with SDs', () => {
    const data = beforeAfterBars(groups, 'rate');
    expect(data.labels).toEqual(['main', 'mirror']);
    expect(data.series.map((s) => [s.label, s.tone])).toEqual([
      ['before', 'base'],
      ['after SOO', 'adapter'],
    ]);
    expect(data.series[0]!.values).toEqual([0.75, 0.5]);
    expect(data.series[0]!.sd).toBeUndefined();
    expect(data.series[1]!.values).toEqual([mean, null]);
    expect(data.series[1]!.sd).toEqual([popSd, null]);
    expect(yRange(data)).toEqual({ min: 0, max: 1, fixed: true });
  });

  it('puts whiskers only on bars with an SD, clamped to the 0..100 % axis', () => {
    // mean 0.583, population SD 0.312: the whisker runs 0.271 .. 0.895 (inside the axis)
    expect(whiskers(beforeAfterBars(groups, 'rate'))).toEqual([{ series: 1, index: 0, low: mean - popSd, high: mean + popSd }]);
    const edge = beforeAfterBars(
      [
        { label: 'high', before: null, after: { mean: 0.9, sd: 0.25 } },
        { label: 'low', before: 0, after: { mean: 0.05, sd: 0.1 } },
        { label: 'zero spread', before: 1, after: { mean: 0.5, sd: 0 } },
      ],
      'rate',
    );
    const w = whiskers(edge);
    expect(w.map((x) => [x.series, x.index])).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
    ]);
    expect(w[0]!.low).toBeCloseTo(0.65, 12);
    expect(w[0]!.high).toBe(1);
    expect(w[1]!.low).toBe(0);
    expect(w[1]!.high).toBeCloseTo(0.15, 12);
    expect([w[2]!.low, w[2]!.high]).toEqual([0.5, 0.5]);
  });

  it('writes tooltips with the value, the SD and the per-seed values', () => {
    const data = beforeAfterBars(groups, 'rate');
    expect(tooltipLines(data, 1, 0)).toEqual(['after SOO: 58.3% ± 31.2% (SD over 3 seeds)', 'per seed: 0: 25.0%, 1: 50.0%, 2: 100.0%']);
    expect(tooltipLines(data, 0, 1)).toEqual(['before: 50.0%']);
    expect(tooltipLines(data, 1, 1)).toEqual([]);
  });

  it('scales an open axis to the highest whisker and shapes the RL behavioural difference', () => {
    const behaviour = [
      { pair: 'soo_vs_honest', mean: 0.2, sd: 0.1, seeds: 2, per_seed: [0.1, 0.3] },
      { pair: 'honest_vs_deceptive', mean: 2, sd: 0.5, seeds: 2, per_seed: [1.5, 2.5] },
    ];
    const data = behaviourBars(behaviour) as ErrorBarData;
    expect(data.labels).toEqual(['SOO vs honest', 'honest vs deceptive']);
    expect(data.series).toHaveLength(1);
    expect(data.series[0]!.values).toEqual([0.2, 2]);
    const range = yRange(data);
    expect(range.fixed).toBe(false);
    expect(range.max).toBeCloseTo(2.5 * 1.1, 12);
    expect(whiskers(data)).toEqual([
      { series: 0, index: 0, low: 0.1, high: 0.30000000000000004 },
      { series: 0, index: 1, low: 1.5, high: 2.5 },
    ]);
    expect(tooltipLines(data, 0, 1)).toEqual(['grid MSE: 2.00 ± 0.500 (SD over 2 seeds)', 'per seed: 1.50, 2.50']);
    expect(behaviourBars([])).toBeNull();
  });
});
