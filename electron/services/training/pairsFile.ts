/**
 * Reads self/other training pairs from a JSONL file (`soo-lab scenario pairs` output): one JSON object
 * per line with string fields `self` and `other` (other fields are ignored); blank lines are skipped.
 * Bad input names the file and the 1-based line. Does not tokenize or check alignment (trainingService).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../contract/errors.ts';

export interface TextPair {
  self: string;
  other: string;
  /** 1-based line in the file, for messages; absent for pairs from a pack. */
  line?: number;
}

export async function readPairsFile(file: string): Promise<TextPair[]> {
  const absolute = path.resolve(file);
  const text = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw badInput(`cannot read the pairs file ${absolute}: ${error.code === 'ENOENT' ? 'not found' : error.message}`, { file: absolute });
  });
  const pairs: TextPair[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw badInput(`${absolute}:${i + 1}: not JSON: ${(error as Error).message}`, { file: absolute, path: `line ${i + 1}` });
    }
    const o = value as { self?: unknown; other?: unknown } | null;
    if (typeof o !== 'object' || o === null || typeof o.self !== 'string' || typeof o.other !== 'string' || !o.self || !o.other) {
      throw badInput(`${absolute}:${i + 1}: expected {"self": "<text>", "other": "<text>"} with non-empty strings`, { file: absolute, path: `line ${i + 1}` });
    }
    pairs.push({ self: o.self, other: o.other, line: i + 1 });
  }
  if (pairs.length === 0) throw badInput(`${absolute} has no pairs (expected JSONL lines {"self": ..., "other": ...})`, { file: absolute });
  return pairs;
}
