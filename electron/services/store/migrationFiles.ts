/**
 * Finds and checks the migration files: numbered plain SQL, `NNNN_description.sql`.
 *
 * Rules (see migrations/README.md): four zero-padded digits, an underscore, a lower-case description,
 * `.sql`; numbered contiguously from 0001; applied in lexical (= numeric) order. Other files in the
 * folder (README.md) are ignored, but a `.sql` file whose name breaks the pattern is an error, so a
 * misnamed migration is never silently skipped.
 *
 * This module only reads files; it never touches a database (migrate.ts applies them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SooError } from '../../contract/errors.ts';

/** One migration file, read into memory. */
export interface MigrationFile {
  /** 1-based schema version this file brings the database to. */
  version: number;
  /** The file name, e.g. `0001_init.sql`; recorded in `schema_migrations.name`. */
  name: string;
  /** Absolute path, for error messages. */
  file: string;
  /** The SQL text, run as is with `db.exec` inside one transaction. */
  sql: string;
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

/**
 * Reads every migration in `dir`, sorted by version, after checking the numbering.
 * Throws a SooError (`internal`: a broken migrations folder is a packaging bug, not user input)
 * naming the offending files when a name is malformed, a number repeats or a number is missing.
 */
export function loadMigrations(dir: string): MigrationFile[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (error) {
    throw new SooError({
      code: 'internal',
      message: `cannot read the migrations folder ${dir}: ${(error as Error).message}`,
      file: dir,
    });
  }

  const sqlNames = entries.filter((name) => name.toLowerCase().endsWith('.sql')).sort();
  const malformed = sqlNames.filter((name) => !FILE_PATTERN.test(name));
  if (malformed.length > 0) {
    throw migrationsError(
      dir,
      `badly named migration file(s) ${malformed.join(', ')}: expected NNNN_description.sql ` +
        `(four digits, underscore, lower-case words joined by underscores), e.g. 0002_runs.sql`,
    );
  }
  if (sqlNames.length === 0) throw migrationsError(dir, 'no migration files (NNNN_description.sql) found');

  const byVersion = new Map<number, string[]>();
  for (const name of sqlNames) {
    const version = Number(name.slice(0, 4));
    byVersion.set(version, [...(byVersion.get(version) ?? []), name]);
  }
  const duplicates = [...byVersion.values()].filter((names) => names.length > 1);
  if (duplicates.length > 0) {
    const list = duplicates.map((names) => names.join(' and ')).join('; ');
    throw migrationsError(dir, `duplicate migration numbers: ${list}; each number must be used by exactly one file`);
  }

  // Sorted names with unique numbers: the i-th file must be version i + 1.
  return sqlNames.map((name, index) => {
    const version = Number(name.slice(0, 4));
    const expected = index + 1;
    if (version !== expected) {
      const previous = index > 0 ? ` after ${sqlNames[index - 1]}` : '';
      throw migrationsError(
        dir,
        `migration numbers must be contiguous from 0001: expected ${pad(expected)}${previous}, found ${name}`,
      );
    }
    const file = path.join(dir, name);
    return { version, name, file, sql: fs.readFileSync(file, 'utf8') };
  });
}

/** Zero-pads a version to the four digits used in file names. */
export function pad(version: number): string {
  return String(version).padStart(4, '0');
}

function migrationsError(dir: string, detail: string): SooError {
  return new SooError({
    code: 'internal',
    message: `migrations folder ${dir}: ${detail}`,
    file: dir,
    hint: 'migration files are NNNN_description.sql, numbered 0001, 0002, ... without gaps',
  });
}
