/**
 * Parsing JSON text with errors a person can act on: the file name, the line and the column.
 *
 * Node 20's JSON.parse reports a character position ("... in JSON at position 16"), newer versions a
 * line and column; both are turned into a 1-based line and column here.
 */
import { badInput } from '../../contract/errors.ts';

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
    const reason = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(reason);
    const lineCol = /line (\d+) column (\d+)/.exec(reason);
    let where: { line: number; column: number };
    if (lineCol) where = { line: Number(lineCol[1]), column: Number(lineCol[2]) };
    else if (position) where = lineColumn(text, Number(position[1]));
    else where = lineColumn(text, text.length);
    const detail = reason.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    throw badInput(`${fileName}:${where.line}:${where.column}: not valid JSON: ${detail}`, {
      file: fileName,
      issues: [{ path: '$', line: where.line, message: `line ${where.line}, column ${where.column}: ${detail}` }],
    });
  }
}
