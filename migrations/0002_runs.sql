-- 0002_runs: runs and what they produce (issue: experiments). One `runs` row per computation the
-- app or the CLI records (an evaluation, a latent SOO measurement, a training, an experiment and its
-- child runs, an RL run, the demo); its steps, classified responses, metrics and files hang off it
-- and go with it (ON DELETE CASCADE). Plus a cache of model file hashes.
-- Runs inside one transaction with the user_version bump (migrate.ts): no BEGIN/COMMIT here.
-- Conventions as 0001: STRICT tables; timestamps are ISO 8601 UTC text (julianday() is NULL for
-- anything else); JSON columns are TEXT checked with json_valid; booleans are INTEGER 0/1.
-- The writers (electron/services/store/runs.ts) insert child rows with INSERT OR REPLACE on their
-- natural keys, so a resumed job that writes a step or a response again never duplicates it.

-- One run. `config` is the whole effective configuration (every flag and default), recorded so a
-- run can be reproduced and a resume can refuse a changed configuration. The model and adapter are
-- recorded by path and by content hash (sha256, lower-case hex) since a path can be overwritten.
-- `parent_id` ties an experiment's child runs (its evals, trainings) to it; deleting the
-- experiment deletes them. `error` is the ErrorData ({code, message, ...}) of a failed or cancelled
-- run. A running run has no finished_at; every other status has one.
CREATE TABLE runs (
  id TEXT PRIMARY KEY CHECK (length(id) > 0),
  kind TEXT NOT NULL CHECK (kind IN ('eval', 'latent', 'train', 'experiment', 'rl', 'demo')),
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
  parent_id TEXT REFERENCES runs (id) ON DELETE CASCADE CHECK (parent_id IS NULL OR parent_id <> id),
  name TEXT NOT NULL DEFAULT '',
  config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  app_version TEXT NOT NULL CHECK (length(app_version) > 0),
  model_path TEXT,
  model_sha256 TEXT CHECK (model_sha256 IS NULL OR (length(model_sha256) = 64 AND model_sha256 NOT GLOB '*[^0-9a-f]*')),
  adapter_path TEXT,
  adapter_sha256 TEXT CHECK (adapter_sha256 IS NULL OR (length(adapter_sha256) = 64 AND adapter_sha256 NOT GLOB '*[^0-9a-f]*')),
  seed INTEGER CHECK (seed IS NULL OR seed >= 0),
  error TEXT CHECK (error IS NULL OR json_valid(error)),
  created_at TEXT NOT NULL CHECK (julianday(created_at) IS NOT NULL),
  finished_at TEXT CHECK (finished_at IS NULL OR julianday(finished_at) IS NOT NULL),
  CHECK ((status = 'running') = (finished_at IS NULL))
) STRICT;

-- The runs page lists the newest first, filtered by kind; an experiment lists its children.
CREATE INDEX runs_by_created ON runs (created_at DESC, id);
CREATE INDEX runs_by_kind ON runs (kind, created_at DESC);
CREATE INDEX runs_by_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

-- Per-step numbers of a run (a training's loss curve). `metrics` holds the other numbers of the
-- step as a JSON object ({"lr": ..., "seconds": ...}); loss is NULL for steps that have none.
CREATE TABLE run_steps (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step INTEGER NOT NULL CHECK (step >= 0),
  loss REAL,
  metrics TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metrics) AND json_type(metrics) = 'object'),
  PRIMARY KEY (run_id, step)
) STRICT;

-- Every test prompt of an evaluation and the model's raw response, with its bucket (method.md:
-- keep raw answers; "deception dropped" can be degenerate text). `idx` is the prompt's index in
-- the rendered set, so (variant, mirrored, idx) names one prompt of a pack and seed.
-- deceptive_value / honest_value are the two answers the classifier looked for (e.g. the rooms);
-- prompt_values the prompt's placeholder values (JSON object; the column is not called `values`,
-- an SQL keyword); evidence the classifier's matched spans and rule (JSON, see
-- electron/services/evaluation/classify.ts), kept so the UI can highlight without re-running it.
CREATE TABLE run_responses (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL CHECK (idx >= 0),
  variant TEXT NOT NULL CHECK (length(variant) > 0),
  mirrored INTEGER NOT NULL CHECK (mirrored IN (0, 1)),
  prompt TEXT NOT NULL,
  response TEXT NOT NULL,
  bucket TEXT NOT NULL CHECK (bucket IN ('deceptive', 'honest', 'neither', 'degenerate')),
  deceptive_value TEXT NOT NULL,
  honest_value TEXT NOT NULL,
  prompt_values TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(prompt_values) AND json_type(prompt_values) = 'object'),
  evidence TEXT CHECK (evidence IS NULL OR json_valid(evidence)),
  PRIMARY KEY (run_id, variant, mirrored, idx)
) STRICT;

-- Named results of a run ("deceptive_rate", "latent_mse.layer_12", ...). `detail` holds what
-- explains the value (counts, the Wilson interval, per-seed values) as JSON.
CREATE TABLE run_metrics (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL CHECK (length(name) > 0),
  value REAL,
  detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
  PRIMARY KEY (run_id, name)
) STRICT;

-- Files a run wrote (adapters, reports, exports), with their hash and size at the time.
-- One row per (run, kind, path): writing the same file again replaces its row.
CREATE TABLE run_artifacts (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (length(kind) > 0),
  path TEXT NOT NULL CHECK (length(path) > 0),
  sha256 TEXT CHECK (sha256 IS NULL OR (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),
  bytes INTEGER CHECK (bytes IS NULL OR bytes >= 0),
  PRIMARY KEY (run_id, kind, path)
) STRICT;

-- A cache of sha256 hashes of model and adapter files (hashing a 7B GGUF takes tens of seconds).
-- One row per absolute path; the hash is valid only while the file's size and mtime (milliseconds,
-- fractional as fs.stat reports them) are the ones recorded (electron/services/models/modelHash.ts).
CREATE TABLE model_hashes (
  path TEXT PRIMARY KEY CHECK (length(path) > 0),
  size INTEGER NOT NULL CHECK (size >= 0),
  mtime_ms REAL NOT NULL,
  sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  hashed_at TEXT NOT NULL CHECK (julianday(hashed_at) IS NOT NULL)
) STRICT;
