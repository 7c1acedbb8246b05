/**
 * Validation of scenario packs: the zod shape (electron/contract/scenario-pack.ts), then every
 * cross-field rule of docs/scenario-packs.md. Every problem is reported, each with its JSON path
 * ("$.lists.rooms.test[3]"), so a designer can fix a pack in one pass.
 *
 * The rules themselves are in packRules.ts, decisionRules.ts and unknownFields.ts.
 * Does not render anything (generate.ts, render.ts) and does not touch the store (service.ts).
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { badInput, type ErrorIssue } from '../../contract/errors.ts';
import { scenarioPackSchema, type ScenarioPack } from '../../contract/scenario-pack.ts';
import { jsonPath } from '../api/dispatch.ts';
import { parseJsonText, withLines } from './jsonText.ts';
import { packRuleIssues } from './packRules.ts';
import { unknownFieldIssues } from './unknownFields.ts';

export interface PackValidation {
  /** The pack with defaults filled in; set only when there are no issues. */
  pack?: ScenarioPack;
  /** The pack as far as its shape is right (set even when cross-field rules fail); for previews only. */
  draft?: ScenarioPack;
  issues: ErrorIssue[];
}

export function validatePack(input: unknown): PackValidation {
  const issues = unknownFieldIssues(input);
  const parsed = scenarioPackSchema.safeParse(input);
  if (!parsed.success) return { issues: dedupe([...zodIssues(parsed.error), ...issues]) };
  issues.push(...packRuleIssues(parsed.data));
  const unique = dedupe(issues);
  return unique.length ? { draft: parsed.data, issues: unique } : { pack: parsed.data, draft: parsed.data, issues: [] };
}

/** Reads and validates a pack file; throws bad_input with the file, the first path and every issue. */
export function loadPackFile(file: string): ScenarioPack {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw badInput(`cannot read scenario pack: ${reason}`, { file });
  }
  return requireValid(parseJsonText(file, text), file, text);
}

/**
 * Returns the validated pack or throws bad_input listing every issue. With the JSON `text` the input
 * was parsed from, each issue also carries its line.
 */
export function requireValid(input: unknown, file?: string, text?: string): ScenarioPack {
  const { pack, issues: found } = validatePack(input);
  if (pack) return pack;
  const issues = text === undefined ? found : withLines(found, text);
  const first = issues[0]!;
  const where = file ? `${file}: ` : '';
  return failWith(`${where}invalid scenario pack (${issues.length} problem${issues.length === 1 ? '' : 's'}); first: ${first.path}: ${first.message}`, {
    ...(file ? { file } : {}),
    path: first.path,
    issues,
  });
}

function failWith(message: string, extra: Parameters<typeof badInput>[1]): never {
  throw badInput(message, extra);
}

function zodIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    if (issue.code === 'invalid_key') message = `invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
    return { path: jsonPath(issue.path), message };
  });
}

function dedupe(issues: ErrorIssue[]): ErrorIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
