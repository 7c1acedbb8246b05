-- 0001_init: the first schema. Scenario packs and app settings; runs, steps, evaluations and
-- artifacts come in later files (0002_runs.sql, ...). Runs inside one transaction with the
-- user_version bump (electron/services/store/migrate.ts): no BEGIN/COMMIT here.
-- All tables are STRICT: SQLite would otherwise store a wrongly typed value silently.

-- Scenario packs (method.md): one row per pack, the whole pack as JSON text exactly as the user
-- saved it (the scenarios service validates it; the CHECK only guarantees it parses).
-- Timestamps are ISO 8601 UTC strings ("2026-11-28T09:03:20.123Z"); julianday() is NULL for anything
-- else. created_at is set once; updated_at changes on every save.
CREATE TABLE scenario_packs (
  id TEXT PRIMARY KEY CHECK (length(id) > 0),
  name TEXT NOT NULL CHECK (length(trim(name)) > 0),
  description TEXT NOT NULL DEFAULT '',
  json TEXT NOT NULL CHECK (json_valid(json)),
  created_at TEXT NOT NULL CHECK (julianday(created_at) IS NOT NULL),
  updated_at TEXT NOT NULL CHECK (julianday(updated_at) IS NOT NULL)
) STRICT;

-- The pack list is shown sorted by name.
CREATE INDEX scenario_packs_by_name ON scenario_packs (name COLLATE NOCASE, id);

-- App settings as key/value text (the owning service encodes and parses its values).
CREATE TABLE app_settings (
  key TEXT PRIMARY KEY CHECK (length(key) > 0),
  value TEXT NOT NULL
) STRICT;
