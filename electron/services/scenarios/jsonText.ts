/**
 * Parsing JSON text with errors a person can act on: the file name, the line and the column.
 *
 * JSON.parse does the parsing. Its messages do not always say where the problem is (Node 20 reports
 * "Unexpected token '}', ... is not valid JSON" with no position), so on failure a small scanner of
 * the JSON grammar (RFC 8259) finds the offset of the first error, turned into a 1-based line and column.
 */
import { badInput } from '../../contract/errors.ts';
import { jsonPath } from '../api/dispatch.ts';

/** 1-based line and column of a 0-based character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Parses JSON text; a syntax error throws bad_input naming `fileName`, the line and the column. */
export function parseJsonText(fileName: string, text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const found = findJsonError(body);
    const where = lineColumn(body, found.offset);
    const detail = found.message;
    throw badInput(`${fileName}:${where.line}:${where.column}: not valid JSON: ${detail}`, {
      file: fileName,
      issues: [{ path: '$', line: where.line, message: `line ${where.line}, column ${where.column}: ${detail}` }],
    });
  }
}

/** The offset and a short description of the first syntax error in `text` (assumed not to be valid JSON). */
export function findJsonError(text: string): { offset: number; message: string } {
  let i = 0;
  class Stop {
    constructor(readonly offset: number, readonly message: string) {}
  }
  const fail = (message: string): never => {
    throw new Stop(i, i >= text.length ? 'unexpected end of the text' : `${message}, found ${JSON.stringify(text[i])}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) fail(`expected "${word}"`);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      const c = text.charCodeAt(i);
      if (c < 0x20) fail('a control character (such as a line break) must be escaped inside a string');
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('expected four hex digits after \\u');
          continue;
        }
        if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail('unknown escape sequence');
      }
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-' || match[0] === '') fail('expected a value');
    i += match![0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') fail('expected ":" after the property name');
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') return void i++;
        fail('expected "," or "}" after a property value');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') return void i++;
        fail('expected "," or "]" after an array element');
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    return number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return { offset: text.length, message: 'not valid JSON' };
  } catch (stop) {
    if (stop instanceof Stop) return { offset: stop.offset, message: stop.message };
    throw stop;
  }
}

/**
 * The offset where each value of a valid JSON text starts, by JSON path ("$.lists.rooms.test[3]",
 * formatted as `jsonPath` does). Used to give validation issues a line number.
 */
export function jsonPathOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (segments: PropertyKey[]): void => {
    ws();
    offsets.set(jsonPath(segments), i);
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      let index = 0;
      while (text[i] !== close) {
        let key: PropertyKey = index++;
        if (c === '{') {
          key = string();
          ws();
          i++; // ':'
        }
        value([...segments, key]);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') string();
    else while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++;
  };
  value([]);
  return offsets;
}

/** Adds `line` to issues whose path (or nearest existing ancestor) is found in the JSON text. */
export function withLines<T extends { path: string; line?: number }>(issues: T[], text: string): (T & { line?: number })[] {
  let offsets: Map<string, number>;
  try {
    offsets = jsonPathOffsets(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return issues;
  }
  return issues.map((issue) => {
    if (issue.line !== undefined) return issue;
    for (let path = issue.path; path.length > 0; path = parentPath(path)) {
      const offset = offsets.get(path);
      if (offset !== undefined) return { ...issue, line: lineColumn(text, offset).line };
    }
    return issue;
  });
}

/** "$.a.b[3]" -> "$.a.b" -> "$.a" -> "$" -> "". */
function parentPath(path: string): string {
  if (path === '$') return '';
  const match = /(\.[^.[\]]+|\[[^\]]*\])$/.exec(path);
  return match ? path.slice(0, -match[0].length) : '';
}
