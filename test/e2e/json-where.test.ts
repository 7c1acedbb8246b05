/** renderer/lib/jsonWhere.ts: a JSON syntax error named by line and column (1-based), against hand-counted positions. */
import { describe, expect, it } from 'vitest';
import { jsonErrorWhere } from '../../renderer/lib/jsonWhere.ts';

function where(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return jsonErrorWhere(text, error as Error);
  }
  throw new Error('parsed');
}

describe('jsonErrorWhere', () => {
  it('names the line and column of an unquoted key on line 3', () => {
    expect(where('{\n  "a": 1,\n  b: 2\n}')).toMatch(/^line 3, column 3: /);
  });
  it('names line 1 for a single-line text, and keeps the parser message without the position', () => {
    const message = where('{"a": 1,,}');
    expect(message).toMatch(/^line 1, column 9: /);
    expect(message).not.toMatch(/position/);
  });
  it('passes other messages through', () => {
    expect(jsonErrorWhere('', new Error('Unexpected end of JSON input'))).toBe('Unexpected end of JSON input');
  });
});
