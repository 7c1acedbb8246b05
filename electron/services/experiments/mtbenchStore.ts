/**
 * MT-Bench judgements in the database (table `mtbench_judgements`, migrations/0003_mtbench.sql):
 * one row per (run, question, turn) with the question, the evaluated model's answer, the judge's
 * raw output and the parsed rating (null with a status when none could be read).
 *
 * Rows hang off a run of the run store (an `eval` child of an experiment) and go with it when the
 * run is deleted (ON DELETE CASCADE). Writes are INSERT OR REPLACE in one transaction.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { RatingStatus } from './mtbenchJudge.ts';

export interface MtBenchJudgementRow {
  questionId: string;
  /** 1-based. */
  turn: number;
  category: string;
  question: string;
  reference: string | null;
  /** What the evaluated model saw (chat template applied). */
  prompt: string;
  answer: string;
  answerStop: 'eog' | 'maxTokens';
  judgePrompt: string;
  judgeOutput: string;
  /** 1..10, or null when `ratingStatus` is not 'ok'. */
  rating: number | null;
  ratingStatus: RatingStatus;
}

interface Row {
  run_id: string;
  question_id: string;
  turn: number;
  category: string;
  question: string;
  reference: string | null;
  prompt: string;
  answer: string;
  answer_stop: 'eog' | 'maxTokens';
  judge_prompt: string;
  judge_output: string;
  rating: number | null;
  rating_status: RatingStatus;
}

export class MtBenchRepository {
  readonly #db: Database;
  readonly #put: Statement<[Row]>;
  readonly #list: Statement<[string], Row>;

  constructor(db: Database) {
    this.#db = db;
    this.#put = db.prepare(
      `INSERT OR REPLACE INTO mtbench_judgements (run_id, question_id, turn, category, question, reference, prompt, answer,
       answer_stop, judge_prompt, judge_output, rating, rating_status) VALUES (@run_id, @question_id, @turn, @category,
       @question, @reference, @prompt, @answer, @answer_stop, @judge_prompt, @judge_output, @rating, @rating_status)`,
    );
    // Question ids are text; numeric ones (FastChat's) sort as numbers, then the rest as text.
    this.#list = db.prepare(
      `SELECT * FROM mtbench_judgements WHERE run_id = ?
       ORDER BY (question_id GLOB '[0-9]*' AND question_id NOT GLOB '*[^0-9]*') DESC, CAST(question_id AS INTEGER), question_id, turn`,
    );
  }

  add(runId: string, rows: readonly MtBenchJudgementRow[]): void {
    this.#db.transaction(() => {
      for (const r of rows) {
        this.#put.run({
          run_id: runId,
          question_id: r.questionId,
          turn: r.turn,
          category: r.category,
          question: r.question,
          reference: r.reference,
          prompt: r.prompt,
          answer: r.answer,
          answer_stop: r.answerStop,
          judge_prompt: r.judgePrompt,
          judge_output: r.judgeOutput,
          rating: r.rating,
          rating_status: r.ratingStatus,
        });
      }
    }).immediate();
  }

  list(runId: string): MtBenchJudgementRow[] {
    return this.#list.all(runId).map((r) => ({
      questionId: r.question_id,
      turn: r.turn,
      category: r.category,
      question: r.question,
      reference: r.reference,
      prompt: r.prompt,
      answer: r.answer,
      answerStop: r.answer_stop,
      judgePrompt: r.judge_prompt,
      judgeOutput: r.judge_output,
      rating: r.rating,
      ratingStatus: r.rating_status,
    }));
  }
}
