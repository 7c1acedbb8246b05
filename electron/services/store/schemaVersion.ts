/**
 * The schema version of a database and the check that this app may open it.
 *
 * The version is recorded twice and both must agree: `PRAGMA user_version` (a header field) and the
 * highest row of `schema_migrations` (one row per applied migration file). A database newer than
 * the newest migration this app knows is refused: an older app must not write into a schema it
 * does not understand. Reading only; migrate.ts changes the version.
 */
import type { Database } from 'better-sqlite3';
import { SooError } from '../../contract/errors.ts';
import type { MigrationFile } from './migrationFiles.ts';

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

/** The highest version in `schema_migrations`, 0 when empty, undefined when the table does not exist. */
function readRecordedVersion(db: Database): number | undefined {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!exists) return undefined;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}
