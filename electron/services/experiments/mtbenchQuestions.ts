/**
 * MT-Bench question files in FastChat's format: JSONL, one question per line,
 *   {"question_id": 81, "category": "writing", "turns": ["first user turn", "second user turn"],
 *    "reference": ["reference answer for turn 1", "... for turn 2"]}   (reference optional)
 * Other fields (FastChat files carry none we need) are ignored. Blank lines are skipped.
 *
 * Errors are bad_input naming the file, the 1-based line and the field ("questions.jsonl:3:
 * $.turns[1]: must not be empty"): JSON syntax (with the column), a missing or mistyped field, a
 * question_id used twice, a reference list longer than the turns, an empty file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { badInput } from '../../contract/errors.ts';
import { jsonPath } from '../api/dispatch.ts';
import { parseJsonText } from '../scenarios/jsonText.ts';

export interface MtBenchQuestion {
  /** FastChat's question_id, as text (ids compare as text). */
  id: string;
  category: string;
  /** User turns, in order (MT-Bench has two). */
  turns: string[];
  /** Reference answer per turn, null where the file gives none. Same length as `turns`. */
  references: (string | null)[];
  /** 1-based line in the file. */
  line: number;
}

const nonEmpty = z.string().refine((s) => s.trim().length > 0, 'must not be empty');

export const mtBenchLineSchema = z.object({
  question_id: z.union([z.int().min(0), nonEmpty]),
  category: nonEmpty,
  turns: z.array(nonEmpty).min(1, 'must hold at least one turn'),
  reference: z.array(z.string()).optional(),
});

/** Parses question-file text; `file` names it in errors. */
export function parseMtBenchQuestions(text: string, file: string): MtBenchQuestion[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const questions: MtBenchQuestion[] = [];
  const seen = new Map<string, number>();
  body.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = parseJsonText(file, raw);
    } catch (error) {
      // parseJsonText counts lines within the one line it saw: rewrite the position to the file's.
      const column = /:\d+:(\d+): /.exec((error as Error).message)?.[1] ?? '1';
      const detail = (error as Error).message.replace(/^.*?not valid JSON: /, '');
      throw badInput(`${file}:${line}:${column}: not valid JSON: ${detail}`, { file, issues: [{ path: '$', line, message: `column ${column}: ${detail}` }] });
    }
    const parsed = mtBenchLineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = jsonPath(issue.path);
      throw badInput(`${file}:${line}: ${where}: ${issue.message}`, { file, path: where, issues: [{ path: where, line, message: issue.message }] });
    }
    const q = parsed.data;
    const id = String(q.question_id);
    const fail = (where: string, message: string) => badInput(`${file}:${line}: ${where}: ${message}`, { file, path: where, issues: [{ path: where, line, message }] });
    const first = seen.get(id);
    if (first !== undefined) throw fail('$.question_id', `question_id ${JSON.stringify(q.question_id)} is also on line ${first}`);
    seen.set(id, line);
    if (q.reference && q.reference.length > q.turns.length) {
      throw fail('$.reference', `${q.reference.length} reference answers for ${q.turns.length} turn${q.turns.length === 1 ? '' : 's'}`);
    }
    questions.push({
      id,
      category: q.category,
      turns: q.turns,
      references: q.turns.map((_, t) => {
        const r = q.reference?.[t];
        return r === undefined || r.trim() === '' ? null : r;
      }),
      line,
    });
  });
  if (questions.length === 0) throw badInput(`${file}: no questions (an MT-Bench question file has one JSON object per line)`, { file });
  return questions;
}

/** Reads and parses a question file; a missing file is bad_input naming it. */
export function readMtBenchQuestions(file: string, jsonPathOfField = '$.capability.mtBench.questions'): MtBenchQuestion[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw badInput(`${jsonPathOfField}: cannot read the MT-Bench question file ${file}: ${reason}`, { file, path: jsonPathOfField });
  }
  return parseMtBenchQuestions(text, file);
}
