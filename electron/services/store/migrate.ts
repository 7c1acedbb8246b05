/**
 * The migration runner: brings a database from its schema version to the newest one this app knows.
 *
 * - The schema version lives in two places that must agree: `PRAGMA user_version` (a header field,
 *   cheap to read) and the table `schema_migrations` (one row per applied file, with its name and time).
 * - A database newer than the newest migration is refused (SooError `conflict`): an older app must not
 *   write into a schema it does not understand. Downgrades are not supported either.
 * - Before the first pending migration of a database that already holds something, a copy is taken
 *   next to the file: `<file>.backup-v<old>-<timestamp>`. It uses `VACUUM INTO` rather than
 *   better-sqlite3's `db.backup()` because that one is asynchronous, and opening the store is
 *   synchronous (createServices, the CLI). Both write a transactionally consistent snapshot.
 * - Each file runs with its version bump in ONE immediate transaction. `db.exec` stops at the first
 *   failing statement without undoing the earlier ones, so the transaction is what rolls a half-run
 *   file back; a failure leaves the database at its previous version and the error names the file.
 * - Foreign keys are switched off while migrating (a migration may rebuild a table, SQLite's
 *   "12-step" ALTER procedure) and checked with `PRAGMA foreign_key_check` before each commit.
 *
 * It does not open or configure the connection (db.ts does) and does not find files (migrationFiles.ts).
 */
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { SooError, badInput } from '../../contract/errors.ts';
import type { MigrationFile } from './migrationFiles.ts';

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

/** Newest version in a migration list (0 for an empty list). */
export function latestVersion(migrations: readonly MigrationFile[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** `PRAGMA user_version`: the schema version as recorded in the database header. */
export function readUserVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Reads the schema version and checks it is one this app can work with: both records agree and
 * neither is newer than `latest`. Read-only: call it before anything that writes (even setting WAL
 * mode rewrites the header), so a refused file is left byte for byte as it was.
 */
export function checkSchemaVersion(db: Database, latest: number, file = db.name): number {
  const userVersion = readUserVersion(db);
  const recorded = readRecordedVersion(db);
  const newest = Math.max(userVersion, recorded ?? 0);
  if (newest > latest) {
    throw new SooError({
      code: 'conflict',
      message:
        `cannot open ${file}: this database was written by a newer SOO Lab (schema v${newest}, ` +
        `this app knows up to v${latest}): update SOO Lab or choose another --db`,
      file,
      hint: 'update SOO Lab, or pass --db with another file',
    });
  }
  if (recorded === undefined && userVersion > 0) {
    throw new SooError({
      code: 'conflict',
      message:
        `cannot open ${file}: its user_version is ${userVersion} but it has no schema_migrations table, ` +
        `so it was not written by SOO Lab: choose another --db`,
      file,
    });
  }
  if (recorded !== undefined && recorded !== userVersion) {
    throw new SooError({
      code: 'conflict',
      message:
        `cannot open ${file}: its schema records disagree (user_version ${userVersion}, ` +
        `schema_migrations up to v${recorded}); it was changed outside SOO Lab: restore a backup or choose another --db`,
      file,
    });
  }
  return userVersion;
}

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

/** The highest version in `schema_migrations`, 0 when empty, undefined when the table does not exist. */
function readRecordedVersion(db: Database): number | undefined {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!exists) return undefined;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/** True when the database has any table, index, view or trigger of its own. */
function hasSchemaObjects(db: Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' LIMIT 1").get() !== undefined;
}

function isFileDatabase(file: string): boolean {
  return file !== '' && file !== ':memory:';
}

/** Copies the database to `<file>.backup-v<version>-<UTC timestamp>` (a new name, never overwriting). */
function backupBeforeMigrating(db: Database, file: string, version: number, at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, ''); // 20261128T090320123Z: no ':' (Windows)
  let backupFile = `${file}.backup-v${version}-${stamp}`;
  for (let n = 2; fs.existsSync(backupFile); n++) backupFile = `${file}.backup-v${version}-${stamp}-${n}`;
  try {
    // A consistent snapshot of the database as this connection sees it (WAL content included).
    db.prepare('VACUUM INTO ?').run(backupFile);
  } catch (error) {
    throw new SooError({
      code: 'internal',
      message: `could not back up ${file} to ${backupFile} before migrating, so nothing was migrated: ${(error as Error).message}`,
      file,
    });
  }
  return backupFile;
}
