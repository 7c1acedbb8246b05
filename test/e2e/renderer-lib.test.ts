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
