/**
 * Opens the SOO Lab SQLite database: creates its folder, refuses a file written by a newer app,
 * sets the connection pragmas and runs the pending migrations (migrate.ts).
 *
 * Returns a `Store`: the open connection plus its file and schema version. Disposing it closes the
 * connection. The tables' SQL lives in the repository modules (packs.ts, ...), not here.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { SooError } from '../../contract/errors.ts';
import { MIGRATIONS_DIR } from '../paths.ts';
import { loadMigrations } from './migrationFiles.ts';
import { migrate } from './migrate.ts';
import { checkSchemaVersion, latestVersion, readUserVersion } from './schemaVersion.ts';
import type { MigrateResult } from './migrate.ts';

export interface OpenDatabaseOptions {
  /** Folder of `NNNN_description.sql` files. Defaults to `MIGRATIONS_DIR` (the repository's migrations/). */
  migrationsDir?: string;
  /** Migrate only up to this version (tests). Defaults to the newest migration in `migrationsDir`. */
  targetVersion?: number;
  /**
   * How long a statement waits for another connection's write lock before failing with SQLITE_BUSY,
   * in milliseconds (the app, the CLI and the engine host may share one file). Defaults to 5000.
   */
  busyTimeoutMs?: number;
  /** The clock used for `applied_at` and backup names. Defaults to `() => new Date()`. */
  now?: () => Date;
}

/** An open database. Dispose it (or `using store = ...`) to close the connection; idempotent. */
export class Store implements Disposable {
  readonly file: string;
  /** What the migration step did when this store was opened. */
  readonly migration: MigrateResult;
  #db: Database | undefined;

  constructor(db: Database, file: string, migration: MigrateResult) {
    this.#db = db;
    this.file = file;
    this.migration = migration;
  }

  /** The better-sqlite3 connection. Throws once the store is disposed. */
  get db(): Database {
    if (!this.#db) {
      throw new SooError({ code: 'internal', message: `the database ${this.file} was used after it was closed` });
    }
    return this.#db;
  }

  /** The schema version (`PRAGMA user_version`), read now. Throws once the store is disposed. */
  get schemaVersion(): number {
    return readUserVersion(this.db);
  }

  get disposed(): boolean {
    return this.#db === undefined;
  }

  /** Closes the connection (checkpointing the WAL). Safe to call more than once. */
  dispose(): void {
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Opens (creating if needed) the database at `file` and migrates it to the newest schema.
 * `file` may be `:memory:` (tests). Throws SooError `conflict` for a database newer than this app,
 * `bad_input` for a file that is not SQLite, `internal` for a broken migrations folder or a failed
 * migration (naming the file); on any failure the connection is closed again.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Store {
  const { migrationsDir = MIGRATIONS_DIR, targetVersion, busyTimeoutMs = 5000, now } = options;
  // Read the migrations first: a broken migrations folder must fail before any file is created.
  const migrations = loadMigrations(migrationsDir);
  const inMemory = file === ':memory:';
  const resolved = inMemory ? file : path.resolve(file);
  if (!inMemory) fs.mkdirSync(path.dirname(resolved), { recursive: true });

  const db = new BetterSqlite3(resolved, { timeout: busyTimeoutMs });
  try {
    // Refuse a newer database before anything writes to it (journal_mode = WAL rewrites the header).
    checkSchemaVersion(db, latestVersion(migrations), resolved);
    configureConnection(db, inMemory);
    const migration = migrate(db, { migrations, targetVersion, file: resolved, now });
    return new Store(db, resolved, migration);
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new SooError({ code: 'bad_input', message: `${resolved} is not an SQLite database: choose another --db`, file: resolved });
    }
    throw error;
  }
}

function configureConnection(db: Database, inMemory: boolean): void {
  // WAL: readers (the UI listing runs) never block the writer (a training job saving steps), and a
  // commit appends to the -wal file instead of rewriting pages in place.
  const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
  if (!inMemory && mode !== 'wal') {
    throw new SooError({
      code: 'internal',
      message: `could not switch ${db.name} to WAL mode (got journal_mode=${mode}); is it on a network or read-only filesystem?`,
      file: db.name,
    });
  }
  // FULL, not WAL's usual NORMAL: with NORMAL the -wal file is only synced at checkpoints, so a power
  // cut can silently drop the last transactions reported as committed (an app crash cannot, the OS
  // still has the data). FULL syncs the WAL on every commit: a training step we said was saved stays
  // saved. The cost is one fsync per commit; we commit per step or per user action, not per row.
  db.pragma('synchronous = FULL');
  // SQLite leaves foreign keys off by default for backward compatibility; we declare them to be enforced.
  db.pragma('foreign_keys = ON');
}
