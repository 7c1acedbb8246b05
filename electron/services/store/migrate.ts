/**
 * The migration runner: brings a database from its schema version to the newest one this app knows.
 *
 * - The version is `PRAGMA user_version` plus one `schema_migrations` row per applied file; a database
 *   newer than the newest migration, or whose two records disagree, is refused (schemaVersion.ts).
 *   Downgrades are refused too.
 * - Before the first pending migration of a database that already holds something, a copy is taken
 *   next to the file: `<file>.backup-v<old>-<timestamp>` (backup.ts).
 * - Each file runs with its version bump in ONE immediate transaction. `db.exec` stops at the first
 *   failing statement without undoing the earlier ones, so the transaction is what rolls a half-run
 *   file back; a failure leaves the database at its previous version and the error names the file.
 * - Foreign keys are switched off while migrating (a migration may rebuild a table, SQLite's
 *   "12-step" ALTER procedure) and checked with `PRAGMA foreign_key_check` before each commit.
 *
 * It does not open or configure the connection (db.ts) nor find the files (migrationFiles.ts).
 */
import type { Database } from 'better-sqlite3';
import { SooError, badInput } from '../../contract/errors.ts';
import { backupBeforeMigrating } from './backup.ts';
import type { MigrationFile } from './migrationFiles.ts';
import { checkSchemaVersion, latestVersion, readUserVersion } from './schemaVersion.ts';

export interface MigrateOptions {
  /** The migrations, in order, as returned by `loadMigrations()`. */
  migrations: readonly MigrationFile[];
  /**
   * The version to stop at, 0..newest. Tests migrate to N-1, insert rows, then migrate to N.
   * A database already past it is refused (no downgrades). Defaults to the newest migration.
   */
  targetVersion?: number;
  /**
   * The database file: used in messages and to place the backup. No backup is taken when it is
   * absent, empty or `:memory:`.
   */
  file?: string;
  /** The clock, for `applied_at` and the backup's timestamp. Defaults to `() => new Date()`. */
  now?: () => Date;
}

export interface MigrateResult {
  /** The schema version before migrating. */
  fromVersion: number;
  /** The schema version now. */
  toVersion: number;
  /** File names of the migrations applied by this call, in order. */
  applied: string[];
  /** Path of the copy taken before migrating, when one was taken. */
  backupFile?: string;
}

/** The bookkeeping table; created by the runner inside the first migration's transaction. */
const SCHEMA_MIGRATIONS_DDL = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY CHECK (version > 0),
    name TEXT NOT NULL CHECK (length(name) > 0),
    applied_at TEXT NOT NULL
  ) STRICT`;

/** Applies the pending migrations up to `targetVersion`, one transaction each. Synchronous. */
export function migrate(db: Database, options: MigrateOptions): MigrateResult {
  const { migrations, file = db.name, now = () => new Date() } = options;
  const latest = latestVersion(migrations);
  const target = options.targetVersion ?? latest;
  if (!Number.isInteger(target) || target < 0 || target > latest) {
    throw badInput(`targetVersion must be an integer from 0 to ${latest} (the newest migration), got ${target}`);
  }

  const fromVersion = checkSchemaVersion(db, latest, file);
  if (fromVersion > target) {
    throw new SooError({
      code: 'conflict',
      message: `cannot migrate ${file} down from schema v${fromVersion} to v${target}: downgrades are not supported`,
      file,
    });
  }
  const pending = migrations.filter((m) => m.version > fromVersion && m.version <= target);
  if (pending.length === 0) return { fromVersion, toVersion: fromVersion, applied: [] };

  const result: MigrateResult = { fromVersion, toVersion: fromVersion, applied: [] };
  if (isFileDatabase(file) && (fromVersion > 0 || hasSchemaObjects(db))) {
    result.backupFile = backupBeforeMigrating(db, file, fromVersion, now());
  }

  const applyOne = db.transaction((migration: MigrationFile): boolean => {
    // Read again inside the write lock: another process may have migrated since we looked.
    const current = readUserVersion(db);
    if (current >= migration.version) return false;
    if (current !== migration.version - 1) {
      throw new Error(`expected the database at schema v${migration.version - 1}, found v${current}`);
    }
    db.exec(SCHEMA_MIGRATIONS_DDL);
    db.exec(migration.sql);
    const violations = db.pragma('foreign_key_check') as Array<{ table: string; parent: string }>;
    if (violations.length > 0) {
      const first = violations[0]!;
      throw new Error(
        `${violations.length} foreign key violation(s) after the migration, first: table ${first.table} -> ${first.parent}`,
      );
    }
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      migration.version,
      migration.name,
      now().toISOString(),
    );
    // The version is a literal: PRAGMA takes no bound parameters. It is an integer from the file name.
    db.pragma(`user_version = ${migration.version}`);
    return true;
  });

  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (const migration of pending) {
      try {
        if (applyOne.immediate(migration)) result.applied.push(migration.name);
      } catch (error) {
        const stayed = readUserVersion(db);
        const backup = result.backupFile ? `; a copy taken before migrating is at ${result.backupFile}` : '';
        const wrapped = new SooError({
          code: 'internal',
          message:
            `migration ${migration.name} failed on ${file}: ${(error as Error).message}; ` +
            `the database was left at schema v${stayed}${backup}`,
          file: migration.file,
        });
        wrapped.cause = error;
        throw wrapped;
      }
    }
  } finally {
    db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`);
  }
  result.toVersion = readUserVersion(db);
  return result;
}

/** True when the database has any table, index, view or trigger of its own. */
function hasSchemaObjects(db: Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' LIMIT 1").get() !== undefined;
}

function isFileDatabase(file: string): boolean {
  return file !== '' && file !== ':memory:';
}
