/** JSON text helpers: syntax errors located by line and column, issues given the line of their value. */
import { describe, expect, it } from 'vitest';
import { findJsonError, jsonPathOffsets, lineColumn, withLines } from '../../../electron/services/scenarios/jsonText.ts';

describe('findJsonError', () => {
  it.each([
    ['{"a": 1,}', 8, /property name/],
    ['{"a": 1 "b": 2}', 8, /"," or "\}"/],
    ['[1, 2', 5, /end of the text/],
    ['{"a": "x\ny"}', 8, /control character/],
    ['{"a": tru}', 9, /"true"/],
    ['{"a": 01}', 7, /"," or "\}"/],
    ['{} {}', 3, /after the JSON value/],
  ])('%j fails at offset %i', (text, offset, message) => {
    expect(() => JSON.parse(text)).toThrow(); // the cases really are invalid
    const found = findJsonError(text);
    expect(found.offset).toBe(offset);
    expect(found.message).toMatch(message);
  });
});

describe('jsonPathOffsets and withLines', () => {
  const text = '{\n  "lists": {\n    "odd key": ["a",\n      "b"]\n  }\n}';

  it('maps every value to the offset where it starts, with jsonPath formatting', () => {
    const offsets = jsonPathOffsets(text);
    expect(lineColumn(text, offsets.get('$.lists["odd key"][1]')!)).toEqual({ line: 4, column: 7 });
    expect(text.slice(offsets.get('$.lists["odd key"][0]')!).startsWith('"a"')).toBe(true);
  });

  it('gives an issue the line of its path, or of its nearest ancestor that exists', () => {
    const issues = withLines(
      [
        { path: '$.lists["odd key"][1]', message: '' },
        { path: '$.lists.missing.train', message: '' },
      ],
      text,
    );
    expect(issues.map((i) => i.line)).toEqual([4, 2]);
  });
});
