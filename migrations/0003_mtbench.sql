-- 0003_mtbench: MT-Bench-style capability judging (issue: experiments). One row per question turn
-- of an MT-Bench run (a child `eval` run of an experiment): the question, the evaluated model's
-- answer, the local judge model's whole output and the rating parsed from it. A judgement that
-- holds no readable rating is kept with rating NULL and a status saying why (never a silent 0).
-- Writers: electron/services/experiments/mtbenchStore.ts (INSERT OR REPLACE on the natural key,
-- so a resumed stage that writes a row again replaces it). Runs in one transaction (migrate.ts).

-- `question_id` is FastChat's question_id as text (integers there; any id here). `turn` is 1-based.
-- `question` is this turn's user text; `reference` the file's reference answer for it, if any.
-- `prompt` is the text the evaluated model saw (its chat template over the conversation so far);
-- `answer_stop` why its generation stopped ('eog' or 'maxTokens'). `judge_prompt` / `judge_output`
-- are the judge's input (our grading instructions + the conversation) and its raw reply.
-- rating_status: 'ok' (one rating, or the same rating repeated), 'none' (no rating found),
-- 'ambiguous' (two different ratings), 'out_of_range' (a rating outside 1..10).
CREATE TABLE mtbench_judgements (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  question_id TEXT NOT NULL CHECK (length(question_id) > 0),
  turn INTEGER NOT NULL CHECK (turn >= 1),
  category TEXT NOT NULL,
  question TEXT NOT NULL,
  reference TEXT,
  prompt TEXT NOT NULL,
  answer TEXT NOT NULL,
  answer_stop TEXT NOT NULL CHECK (answer_stop IN ('eog', 'maxTokens')),
  judge_prompt TEXT NOT NULL,
  judge_output TEXT NOT NULL,
  rating REAL CHECK (rating IS NULL OR (rating >= 1 AND rating <= 10)),
  rating_status TEXT NOT NULL CHECK (rating_status IN ('ok', 'none', 'ambiguous', 'out_of_range')),
  CHECK ((rating_status = 'ok') = (rating IS NOT NULL)),
  PRIMARY KEY (run_id, question_id, turn)
) STRICT;
