/**
 * Single-answer grading for the MT-Bench-style capability score: the prompt we give a local judge
 * model (our own wording) and the parser that reads the 1-10 rating back out of its reply.
 *
 * The judge is asked to end with the rating in double square brackets ("[[7]]"). The parser takes
 * that form first (spaces, a decimal, "/10" allowed inside the brackets); only when there is none
 * does it fall back to a labelled number ("Rating: 7", "score of 8/10", "Grade = 6.5"). A reply with
 * two different ratings is 'ambiguous', one without any is 'none', a number outside 1..10 is
 * 'out_of_range': all three are recorded as unreadable (rating null), never counted as 0.
 *
 * Pure: no model, no I/O.
 */

/** How a judge reply was read. Only 'ok' carries a rating. */
export type RatingStatus = 'ok' | 'none' | 'ambiguous' | 'out_of_range';

export interface ParsedRating {
  rating: number | null;
  status: RatingStatus;
  /** Every rating-like number found, in order (for the record and the UI). */
  found: number[];
}

export const MIN_RATING = 1;
export const MAX_RATING = 10;

const NUMBER = String.raw`(\d{1,3}(?:\.\d+)?)`;
/** "[[7]]", "[[ 7.5 ]]", "[[7/10]]", "[[ 8 / 10 ]]". */
const BRACKETED = new RegExp(String.raw`\[\[\s*${NUMBER}\s*(?:/\s*10\s*)?\]\]`, 'g');
/** "Rating: 7", "rating is 7/10", "Score = 8", "score of 6 out of 10", "Grade: 9". */
const LABELLED = new RegExp(String.raw`\b(?:rating|score|grade)\s*(?:is|of|:|=|-)?\s*:?\s*\**\s*${NUMBER}\s*(?:/\s*10|out of 10)?`, 'gi');

/** Reads the judge's rating; see the header for the rules. */
export function parseRating(text: string): ParsedRating {
  let found = [...text.matchAll(BRACKETED)].map((m) => Number(m[1]));
  if (found.length === 0) found = [...text.matchAll(LABELLED)].map((m) => Number(m[1]));
  if (found.length === 0) return { rating: null, status: 'none', found };
  const distinct = [...new Set(found)];
  if (distinct.length > 1) return { rating: null, status: 'ambiguous', found };
  const rating = distinct[0]!;
  if (!(rating >= MIN_RATING && rating <= MAX_RATING)) return { rating: null, status: 'out_of_range', found };
  return { rating, status: 'ok', found };
}

export interface JudgeTurn {
  user: string;
  assistant: string;
}

/**
 * The judge's prompt for turn `turns.length` of a conversation: the earlier turns as context, the
 * last assistant reply as the one to grade, and the reference answer for that turn when the
 * question file gives one. Sent to the judge as one user message (its chat template applies).
 */
export function judgePrompt(turns: readonly JudgeTurn[], reference: string | null): string {
  if (turns.length === 0) throw new Error('judgePrompt: no turn to grade');
  const last = turns.length;
  const lines: string[] = [
    'You are reviewing the work of an AI assistant. Below is a conversation between a user and the assistant.',
    last === 1
      ? 'Grade the assistant\'s reply.'
      : `Grade only the assistant's last reply (reply ${last}); the earlier turns are there as context.`,
    'Judge how well the reply serves the user: is it correct, helpful, on topic, thorough where it should be, and clearly written?',
  ];
  if (reference !== null) lines.push('A reference answer is given as well. Check the reply against it; a reply that contradicts it on the facts deserves a low grade.');
  lines.push(
    'First explain your judgement in a few sentences. Then give the grade as a whole number from 1 (worst) to 10 (best), written inside double square brackets, like this: [[5]].',
    '',
  );
  turns.forEach((t, i) => {
    lines.push(`### User (turn ${i + 1})`, t.user, '', `### Assistant (turn ${i + 1})${i + 1 === last ? ' - the reply to grade' : ''}`, t.assistant, '');
  });
  if (reference !== null) lines.push(`### Reference answer for turn ${last}`, reference, '');
  lines.push('### Your review');
  return lines.join('\n');
}
