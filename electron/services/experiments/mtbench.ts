/**
 * The MT-Bench-style capability score, judged locally: the evaluated model answers every question
 * of a FastChat question file turn by turn (its chat template, greedy, an optional LoRA adapter;
 * turn t sees the question's earlier turns and its own earlier answers), then a local judge model
 * grades each answer 1-10 with our single-answer grading prompt (mtbenchJudge.ts), and the rating
 * is parsed from its reply. Every question, answer, judge reply and rating comes back as rows.
 *
 * All answers of one turn are generated in one batched `generate` call, then all judgements in
 * one call on the judge. The score is the mean of the readable ratings; unreadable ones are
 * counted apart (scoreJudgements), never as 0.
 *
 * The caller loads both models and owns them.
 */
import type { LlamaModel } from 'node-llama-cpp';
import { generate, type ChatMessage, type ChatTemplateChoice } from '../evaluation/generate.ts';
import { judgePrompt, parseRating, type RatingStatus } from './mtbenchJudge.ts';
import type { MtBenchQuestion } from './mtbenchQuestions.ts';
import type { MtBenchJudgementRow } from './mtbenchStore.ts';

export interface MtBenchOptions {
  questions: readonly MtBenchQuestion[];
  /** New tokens per answer of the evaluated model. */
  maxTokens: number;
  /** New tokens per judge reply (its explanation and the rating). */
  judgeMaxTokens: number;
  /** The evaluated model's prompt format; the judge always uses its own chat template when it has one. */
  chatTemplate: ChatTemplateChoice;
  lora?: { path: string; scale?: number } | undefined;
  threads?: number | undefined;
  signal?: AbortSignal | undefined;
  /** done of total generations (answers, then judgements). */
  onProgress?: (p: { done: number; total: number; unit: 'generations' }) => void;
}

export interface MtBenchScore {
  /** Mean of the readable ratings (1..10), or null when none was readable. */
  score: number | null;
  /** Judged answers (question turns). */
  n: number;
  /** Answers with a readable rating. */
  rated: number;
  /** Unreadable judgements by reason. */
  unreadable: Record<Exclude<RatingStatus, 'ok'>, number>;
  perTurn: { turn: number; score: number | null; n: number; rated: number }[];
  perCategory: { category: string; score: number | null; n: number; rated: number }[];
}

export interface MtBenchResult {
  rows: MtBenchJudgementRow[];
  score: MtBenchScore;
  /** Chat wrappers used ("Llama3_1", "Jinja", ...), or null for raw text. */
  chatTemplate: string | null;
  judgeChatTemplate: string | null;
}

export async function runMtBench(model: LlamaModel, judge: LlamaModel, options: MtBenchOptions): Promise<MtBenchResult> {
  const { questions, signal } = options;
  const maxTurns = Math.max(...questions.map((q) => q.turns.length));
  const total = 2 * questions.reduce((n, q) => n + q.turns.length, 0);
  let done = 0;
  const tick = () => options.onProgress?.({ done: ++done, total, unit: 'generations' });
  const common = { ...(options.threads ? { threads: options.threads } : {}), ...(signal ? { signal } : {}) };

  // answers[q][t], prompts[q][t] (formatted), stops[q][t]
  const answers = questions.map(() => [] as string[]);
  const formatted = questions.map(() => [] as string[]);
  const stops = questions.map(() => [] as ('eog' | 'maxTokens')[]);
  let chatTemplate: string | null = null;
  for (let t = 0; t < maxTurns; t++) {
    const asked = questions.flatMap((q, i) => (t < q.turns.length ? [i] : []));
    const conversations = asked.map((i) => {
      const q = questions[i]!;
      const messages: ChatMessage[] = [];
      for (let k = 0; k < t; k++) messages.push({ role: 'user', text: q.turns[k]! }, { role: 'model', text: answers[i]![k]! });
      messages.push({ role: 'user', text: q.turns[t]! });
      return messages;
    });
    const out = await generate(model, {
      prompts: conversations,
      maxTokens: options.maxTokens,
      chatTemplate: options.chatTemplate,
      ...(options.lora ? { lora: options.lora } : {}),
      ...common,
      onProgress: tick,
    });
    chatTemplate = out.chatTemplate;
    out.generations.forEach((g, k) => {
      const i = asked[k]!;
      answers[i]![t] = g.text.trim();
      formatted[i]![t] = g.formattedPrompt;
      stops[i]![t] = g.stopReason;
    });
  }

  const judged = questions.flatMap((q, i) =>
    q.turns.map((_, t) => ({
      i,
      t,
      prompt: judgePrompt(
        q.turns.slice(0, t + 1).map((user, k) => ({ user, assistant: answers[i]![k]! })),
        q.references[t] ?? null,
      ),
    })),
  );
  const verdicts = await generate(judge, { prompts: judged.map((j) => j.prompt), maxTokens: options.judgeMaxTokens, chatTemplate: 'auto', ...common, onProgress: tick });

  const rows: MtBenchJudgementRow[] = judged.map((j, k) => {
    const q = questions[j.i]!;
    const output = verdicts.generations[k]!.text;
    const parsed = parseRating(output);
    return {
      questionId: q.id,
      turn: j.t + 1,
      category: q.category,
      question: q.turns[j.t]!,
      reference: q.references[j.t] ?? null,
      prompt: formatted[j.i]![j.t]!,
      answer: answers[j.i]![j.t]!,
      answerStop: stops[j.i]![j.t]!,
      judgePrompt: verdicts.generations[k]!.formattedPrompt,
      judgeOutput: output,
      rating: parsed.rating,
      ratingStatus: parsed.status,
    };
  });
  return { rows, score: scoreJudgements(rows), chatTemplate, judgeChatTemplate: verdicts.chatTemplate };
}

/** Mean of readable ratings overall, per turn and per category; unreadable ones counted by reason. */
export function scoreJudgements(rows: readonly Pick<MtBenchJudgementRow, 'turn' | 'category' | 'rating' | 'ratingStatus'>[]): MtBenchScore {
  const mean = (rs: typeof rows) => {
    const ok = rs.filter((r) => r.ratingStatus === 'ok' && r.rating !== null);
    return { score: ok.length ? ok.reduce((s, r) => s + r.rating!, 0) / ok.length : null, n: rs.length, rated: ok.length };
  };
  const turns = [...new Set(rows.map((r) => r.turn))].sort((a, b) => a - b);
  const categories = [...new Set(rows.map((r) => r.category))].sort();
  const count = (s: RatingStatus) => rows.filter((r) => r.ratingStatus === s).length;
  return {
    ...mean(rows),
    unreadable: { none: count('none'), ambiguous: count('ambiguous'), out_of_range: count('out_of_range') },
    perTurn: turns.map((turn) => ({ turn, ...mean(rows.filter((r) => r.turn === turn)) })),
    perCategory: categories.map((category) => ({ category, ...mean(rows.filter((r) => r.category === category)) })),
  };
}
