/** Shared by the scenario tests: the built-in packs as raw JSON, and broken copies of them. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { ErrorIssue } from '../../../electron/contract/errors.ts';
import type { ScenarioPack } from '../../../electron/contract/scenario-pack.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { validatePack } from '../../../electron/services/scenarios/validate.ts';

export const BUILTIN_DIR = path.join(RESOURCES_DIR, 'scenarios');
export const MAIN_PACK_FILE = path.join(BUILTIN_DIR, 'burglar-house.json');

/** A pack as written in its file: a fresh copy each call, so tests can break it freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function rawPack(id = 'burglar-house'): any {
  return JSON.parse(readFileSync(path.join(BUILTIN_DIR, `${id}.json`), 'utf8'));
}

export function builtinIds(): string[] {
  return readdirSync(BUILTIN_DIR)
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.replace(/\.json$/, ''));
}

/** The validated pack (throws if the file is invalid). */
export function pack(id = 'burglar-house'): ScenarioPack {
  const { pack: p, issues } = validatePack(rawPack(id));
  if (!p) throw new Error(`${id} is invalid: ${JSON.stringify(issues)}`);
  return p;
}

/** Validates a copy of the main pack after `mutate` broke it; returns the issues. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function issuesAfter(mutate: (p: any) => void, id = 'burglar-house'): ErrorIssue[] {
  const p = rawPack(id);
  mutate(p);
  return validatePack(p).issues;
}

/** Words of `text` as a regexp test for a whole value (case-insensitive, word boundaries). */
export function mentions(text: string, value: string): boolean {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'iu').test(text);
}
