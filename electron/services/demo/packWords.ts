/**
 * The texts of the built-in scenario packs that the demo vocabulary must cover, so every test prompt
 * of every pack (held-out values, variants, honesty prompts and answer formats included) tokenizes
 * word by word on the demo model: every list value (train AND test), phrase, pair template and test
 * field, of the pack and of its variants. Descriptions, ids and display names are not prompts and
 * are left out. Template references (`{party}`) produce no words (vocabulary.ts: a word starts with
 * a letter, digit, apostrophe or hyphen).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Keys whose string values are never part of a prompt. */
const NOT_PROMPT_TEXT = new Set(['description', 'name', 'id', 'format', 'list', 'role', '$schema', 'kind', 'decision']);

/** Every prompt string in one parsed pack (any JSON value), in document order. */
export function promptTextsOfPack(value: unknown, key = ''): string[] {
  if (NOT_PROMPT_TEXT.has(key)) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => promptTextsOfPack(v));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => promptTextsOfPack(v, k));
  return [];
}

/** The prompt texts of every *.json pack in `dir` (the built-in packs), files in name order. */
export function builtinPackTexts(dir: string): string[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  return files.flatMap((f) => promptTextsOfPack(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as unknown));
}
