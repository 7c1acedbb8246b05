/** Template parsing: references, escapes, brace problems by offset, phrase expansion. */
import { describe, expect, it } from 'vitest';
import { expandTemplate, fillTemplate, parseTemplate, referencesOf } from '../../../electron/services/scenarios/template.ts';

describe('parseTemplate', () => {
  it('splits text and references; doubled braces are literal', () => {
    const { tokens, problems } = parseTemplate('a {x} {{b}} c {y-2}}}');
    expect(problems).toEqual([]);
    expect(referencesOf(tokens)).toEqual(['x', 'y-2']);
    expect(fillTemplate(tokens, { x: 'X', 'y-2': 'Y' }, '$')).toBe('a X {b} c Y}');
  });

  it('reports a lone brace or a bad name at its 0-based offset', () => {
    expect(parseTemplate('ab {c').problems.map((p) => p.offset)).toEqual([3]);
    expect(parseTemplate('ab } c').problems.map((p) => p.offset)).toEqual([3]);
    expect(parseTemplate('{a {b}').problems.map((p) => p.offset)).toEqual([0]);
    expect(parseTemplate('x {2nd}').problems[0]?.message).toMatch(/"\{2nd\}" at character 3 is not a valid reference/);
  });

  it('expands phrases before placeholders, and does not parse values', () => {
    const tokens = expandTemplate('{greet}, {who}!', { greet: 'Hi {who}' });
    expect(fillTemplate(tokens, { who: '{Ann}' }, '$')).toBe('Hi {Ann}, {Ann}!');
  });

  it('an unknown reference throws, naming where', () => {
    expect(() => fillTemplate(parseTemplate('{ghost}').tokens, {}, '$.test.template')).toThrow(/\$\.test\.template: "\{ghost\}"/);
  });
});
