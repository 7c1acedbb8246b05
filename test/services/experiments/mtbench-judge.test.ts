/**
 * MT-Bench pieces without a model: the rating parser (bracketed and labelled forms, none, two equal,
 * two different, out of range), the judge prompt (turns, the graded reply, the reference), the
 * question file reader (FastChat lines; errors naming file, line and field) and the score over rows
 * (unreadable ratings counted apart, never as 0).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { scoreJudgements } from '../../../electron/services/experiments/mtbench.ts';
import { judgePrompt, parseRating } from '../../../electron/services/experiments/mtbenchJudge.ts';
import { parseMtBenchQuestions, readMtBenchQuestions } from '../../../electron/services/experiments/mtbenchQuestions.ts';

describe('parseRating', () => {
  it.each([
    ['The answer is right and clear. Rating: [[8]]', 8],
    ['[[10]]', 10],
    ['[[1]]', 1],
    ['Good overall.\n[[ 7 ]]', 7],
    ['Score [[6.5]]', 6.5],
    ['[[7/10]] because it misses one case', 7],
    ['[[ 9 / 10 ]]', 9],
    ['Mostly fine, so [[4]]. Final: [[4]]', 4], // the same rating twice is one rating
    ['No brackets here. Rating: 6', 6],
    ['rating is 5/10', 5],
    ['My score: **3**', 3],
    ['Overall score of 8 out of 10.', 8],
    ['Grade = 2', 2],
  ])('reads %j as %d', (text, rating) => {
    expect(parseRating(text)).toMatchObject({ rating, status: 'ok' });
  });

  it.each([
    ['', 'none'],
    ['A fine reply, I liked it.', 'none'],
    ['[[seven]]', 'none'],
    ['[7]', 'none'],
    ['I would grade the reply highly.', 'none'],
    ['[[3]] at first, but then [[8]]', 'ambiguous'],
    ['Rating: 4 ... no, rating: 6', 'ambiguous'],
    ['[[0]]', 'out_of_range'],
    ['[[11]]', 'out_of_range'],
    ['Rating: 42', 'out_of_range'],
  ] as const)('records %j as unreadable (%s), rating null', (text, status) => {
    const parsed = parseRating(text);
    expect(parsed.status).toBe(status);
    expect(parsed.rating).toBeNull();
  });

  it('prefers the bracketed form over a labelled number and keeps every number it found', () => {
    expect(parseRating('Score: 3 for style, overall [[6]]')).toEqual({ rating: 6, status: 'ok', found: [6] });
    expect(parseRating('[[2]] or [[5]]').found).toEqual([2, 5]);
  });
});

describe('judgePrompt', () => {
  it('shows the conversation, marks the reply to grade, asks for [[N]], and adds the reference when given', () => {
    const one = judgePrompt([{ user: 'What is 2+2?', assistant: 'It is 4.' }], null);
    expect(one).toContain('What is 2+2?');
    expect(one).toContain('It is 4.');
    expect(one).toContain('[[5]]');
    expect(one).not.toContain('Reference');
    const two = judgePrompt(
      [
        { user: 'Name a prime.', assistant: 'Seven.' },
        { user: 'And an even one?', assistant: 'Two.' },
      ],
      'Two is the only even prime.',
    );
    expect(two.indexOf('Name a prime.')).toBeLessThan(two.indexOf('And an even one?'));
    expect(two).toMatch(/only the assistant's last reply \(reply 2\)/);
    expect(two).toMatch(/### Assistant \(turn 2\) - the reply to grade\nTwo\./);
    expect(two).not.toMatch(/### Assistant \(turn 1\) - the reply to grade/);
    expect(two).toContain('### Reference answer for turn 2\nTwo is the only even prime.');
    expect(() => judgePrompt([], null)).toThrow(/no turn/);
  });
});

/** The SooError a call throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): SooError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SooError);
    return error as SooError;
  }
  throw new Error('expected an error');
}

describe('MT-Bench question files', () => {
  const line = (o: unknown) => JSON.stringify(o);

  it('reads FastChat lines: numeric and text ids, any turns, references per turn, blank lines and extra fields ignored', () => {
    const text = [
      line({ question_id: 81, category: 'writing', turns: ['Write a haiku.', 'Now make it rhyme.'] }),
      '',
      line({ question_id: 'm-2', category: 'math', turns: ['1+1?', 'Times 3?'], reference: ['2', '6'], extra: true }),
      line({ question_id: 3, category: 'reasoning', turns: ['Only one turn.'], reference: [''] }),
      '',
    ].join('\n');
    const qs = parseMtBenchQuestions(text, 'q.jsonl');
    expect(qs).toEqual([
      { id: '81', category: 'writing', turns: ['Write a haiku.', 'Now make it rhyme.'], references: [null, null], line: 1 },
      { id: 'm-2', category: 'math', turns: ['1+1?', 'Times 3?'], references: ['2', '6'], line: 3 },
      { id: '3', category: 'reasoning', turns: ['Only one turn.'], references: [null], line: 4 },
    ]);
  });

  it.each([
    [[line({ question_id: 1, category: 'a', turns: ['x'] }), '{"question_id": 2, "category": "b", "turns": ["y"]'], /^q\.jsonl:2:\d+: not valid JSON/, 2, undefined],
    [[line({ question_id: 1, category: 'a', turns: ['x'] }), line({ question_id: 2, turns: ['y'] })], /^q\.jsonl:2: \$\.category: /, 2, '$.category'],
    [[line({ question_id: 1, category: 'a', turns: [] })], /^q\.jsonl:1: \$\.turns: must hold at least one turn/, 1, '$.turns'],
    [['', '', line({ question_id: 1, category: 'a', turns: ['x', ' '] })], /^q\.jsonl:3: \$\.turns\[1\]: must not be empty/, 3, '$.turns[1]'],
    [[line({ question_id: 1.5, category: 'a', turns: ['x'] })], /^q\.jsonl:1: \$\.question_id: /, 1, '$.question_id'],
    [[line({ question_id: 7, category: 'a', turns: ['x'] }), line({ question_id: 7, category: 'b', turns: ['y'] })], /^q\.jsonl:2: \$\.question_id: question_id 7 is also on line 1/, 2, '$.question_id'],
    [[line({ question_id: 1, category: 'a', turns: ['x'], reference: ['r', 's'] })], /^q\.jsonl:1: \$\.reference: 2 reference answers for 1 turn$/, 1, '$.reference'],
    [[line([1, 2])], /^q\.jsonl:1: \$: /, 1, '$'],
  ])('names the file, line and field: %#', (lines, message, lineNo, field) => {
    const e = thrown(() => parseMtBenchQuestions(lines.join('\n'), 'q.jsonl'));
    expect(e.code).toBe('bad_input');
    expect(e.message).toMatch(message);
    expect(e.data.file).toBe('q.jsonl');
    expect(e.data.issues?.[0]?.line).toBe(lineNo);
    if (field !== undefined) expect(e.data.path).toBe(field);
  });

  it('refuses an empty file and a missing one, naming them', () => {
    expect(thrown(() => parseMtBenchQuestions('\n\n', 'empty.jsonl')).message).toMatch(/^empty\.jsonl: no questions/);
    const missing = path.join(os.tmpdir(), 'soo-no-such-questions.jsonl');
    const e = thrown(() => readMtBenchQuestions(missing));
    expect(e.message).toContain(missing);
    expect(e.data.path).toBe('$.capability.mtBench.questions');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-mtq-'));
    const file = path.join(dir, 'q.jsonl');
    fs.writeFileSync(file, `\uFEFF${line({ question_id: 1, category: 'a', turns: ['x'] })}\n`);
    expect(readMtBenchQuestions(file)).toHaveLength(1); // a BOM is not an error
    fs.rmSync(dir, { recursive: true });
  });
});

describe('scoreJudgements', () => {
  it('averages readable ratings only, per turn and category, and counts unreadable ones by reason', () => {
    const rows = [
      { turn: 1, category: 'math', rating: 8, ratingStatus: 'ok' as const },
      { turn: 2, category: 'math', rating: null, ratingStatus: 'none' as const },
      { turn: 1, category: 'writing', rating: 5, ratingStatus: 'ok' as const },
      { turn: 2, category: 'writing', rating: 2, ratingStatus: 'ok' as const },
      { turn: 1, category: 'coding', rating: null, ratingStatus: 'ambiguous' as const },
      { turn: 2, category: 'coding', rating: null, ratingStatus: 'out_of_range' as const },
    ];
    const s = scoreJudgements(rows);
    expect(s.score).toBeCloseTo((8 + 5 + 2) / 3, 12);
    expect(s).toMatchObject({ n: 6, rated: 3, unreadable: { none: 1, ambiguous: 1, out_of_range: 1 } });
    expect(s.perTurn).toEqual([
      { turn: 1, score: 6.5, n: 3, rated: 2 },
      { turn: 2, score: 2, n: 3, rated: 1 },
    ]);
    expect(s.perCategory.find((c) => c.category === 'coding')).toEqual({ category: 'coding', score: null, n: 2, rated: 0 });
    expect(scoreJudgements([{ turn: 1, category: 'x', rating: null, ratingStatus: 'none' }]).score).toBeNull();
  });
});
