/**
 * The migration runner against the real migrations/ folder and against temporary folders holding
 * copies of it plus test-only files (a good 0002/0003, a broken 0002, a 0002 breaking a foreign key).
 * References are independent of the runner: a plain directory listing for the expected versions and
 * names, raw better-sqlite3 connections to read what is on disk, file hashes for "not modified".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { MIGRATIONS_DIR } from '../../../electron/services/paths.ts';
import { expectedAfterUpgrade, sampleRows } from '../../fixtures/store/sampleRows.ts';
import type { Row } from '../../fixtures/store/sampleRows.ts';
import { realMigrationNames, sha256, tableNames, thrown, useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();
const REAL_NAMES = realMigrationNames();
const LATEST = REAL_NAMES.length;

/** Test-only migrations appended after the real ones: a table with a foreign key, a new column, a table. */
const EXTRA_TABLE_SQL = (n: number) => `
-- test only: a table that references packs
CREATE TABLE pack_notes_${n} (
  id INTEGER PRIMARY KEY,
  pack_id TEXT NOT NULL REFERENCES scenario_packs (id) ON DELETE CASCADE,
  note TEXT NOT NULL
) STRICT;
-- test only: a column added to an existing table must keep its rows
ALTER TABLE app_settings ADD COLUMN note_${n} TEXT;
`;
const extraName = (n: number) => `${String(n).padStart(4, '0')}_test_notes_${n}.sql`;
const extraSamples = (n: number): Record<string, Row[]> => ({
  [`pack_notes_${n}`]: [{ id: 7, pack_id: 'sample-pack', note: `note ${n}` }],
});

function readMigrationRows(db: Database): Array<{ version: number; name: string; applied_at: string }> {
  return db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as never;
}

describe('a fresh database', () => {
  it('reaches the newest version, and schema_migrations and user_version agree with the files', () => {
    expect(LATEST).toBeGreaterThanOrEqual(1);
    const file = path.join(sandbox.tempDir(), 'fresh.db');
    using store = sandbox.open(file);
    expect(store.schemaVersion).toBe(LATEST);
    expect(store.migration).toEqual({ fromVersion: 0, toVersion: LATEST, applied: REAL_NAMES });
    store.dispose();

    const db = sandbox.raw(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    const rows = readMigrationRows(db);
    expect(rows.map((r) => r.version)).toEqual(REAL_NAMES.map((_, i) => i + 1));
    expect(rows.map((r) => r.name)).toEqual(REAL_NAMES);
    for (const r of rows) expect(Number.isNaN(Date.parse(r.applied_at))).toBe(false);
    // No backup for a database that held nothing.
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.backup-'))).toEqual([]);
    db.close();
  });

  it('has only STRICT tables, and STRICT rejects a wrongly typed value', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'strict.db'));
    const tables = store.db.prepare("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string; strict: number }>;
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.filter((t) => t.strict !== 1).map((t) => t.name)).toEqual([]);

    // A blob cannot be stored in a TEXT column of a STRICT table...
    const blobIntoText = thrown(() => store.db.prepare('INSERT INTO app_settings (key, value) VALUES (?, ?)').run('k', Buffer.from([1, 2])));
    expect(blobIntoText.code).toBe('SQLITE_CONSTRAINT_DATATYPE');
    // ...nor text in an INTEGER column (an INTEGER PRIMARY KEY is the rowid, which answers SQLITE_MISMATCH).
    const textIntoInteger = thrown(() => store.db.prepare("INSERT INTO schema_migrations VALUES ('two', 'x.sql', 'now')").run());
    expect(textIntoInteger.code).toBe('SQLITE_MISMATCH');
    // ...while an ordinary table of the same shape silently takes the blob (what STRICT protects against).
    store.db.exec('CREATE TEMP TABLE loose (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    store.db.prepare('INSERT INTO loose VALUES (?, ?)').run('k', Buffer.from([1, 2]));
    expect(store.db.prepare('SELECT typeof(value) AS t FROM loose').get()).toEqual({ t: 'blob' });
    expect(store.db.prepare('SELECT count(*) AS n FROM app_settings').get()).toEqual({ n: 0 });
  });

  it('rejects pack JSON that does not parse, blank names and bad timestamps with the CHECKs', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'checks.db'));
    const insert = store.db.prepare('INSERT INTO scenario_packs (id, name, json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    const t = '2026-01-01T00:00:00.000Z';
    expect(thrown(() => insert.run('a', 'A', '{"rooms": [1, 2}', t, t)).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(thrown(() => insert.run('b', '  ', '{}', t, t)).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(thrown(() => insert.run('c', 'C', '{}', 'yesterday', t)).code).toBe('SQLITE_CONSTRAINT_CHECK');
    expect(store.db.prepare('SELECT count(*) AS n FROM scenario_packs').get()).toEqual({ n: 0 });
    insert.run('d', 'D', '{"rooms": [1, 2]}', t, t);
    expect(store.db.prepare('SELECT json FROM scenario_packs').get()).toEqual({ json: '{"rooms": [1, 2]}' });
  });
});

/**
 * Migrates a fresh database to `from`, inserts a sample row into every table present, migrates to
 * the newest version of `dir`, and checks rows, versions and the backup.
 */
function checkUpgradeFrom(dir: string, from: number, samples: Record<string, Row[]>): void {
  const names = realMigrationNames(dir);
  const latest = names.length;
  const file = path.join(sandbox.tempDir(), 'upgrade.db');

  using old = sandbox.open(file, { migrationsDir: dir, targetVersion: from });
  expect(old.schemaVersion).toBe(from);
  const inserted: Record<string, Row[]> = {};
  // One transaction with foreign keys checked at commit, so tables can be filled in any order.
  old.db.transaction(() => {
    old.db.pragma('defer_foreign_keys = ON');
    for (const table of tableNames(old.db).filter((t) => t !== 'schema_migrations')) {
      const rows = samples[table];
      expect(rows, `add a sample row for table ${table} to test/fixtures/store/sampleRows.ts`).toBeDefined();
      for (const row of rows!) {
        const columns = Object.keys(row);
        old.db.prepare(`INSERT INTO "${table}" (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
      }
      inserted[table] = rows!;
    }
  })();
  old.dispose();

  using store = sandbox.open(file, { migrationsDir: dir });
  expect(store.schemaVersion).toBe(latest);
  expect(store.migration.fromVersion).toBe(from);
  expect(store.migration.applied).toEqual(names.slice(from));
  for (const [table, rows] of Object.entries(inserted)) {
    const expected = expectedAfterUpgrade[table] ?? rows;
    const count = store.db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number };
    expect(count.n, `rows in ${table}`).toBe(expected.length);
    for (const row of expected) {
      const where = Object.keys(row).map((c) => `${c} IS @${c}`).join(' AND ');
      const found = store.db.prepare(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`).get(row) as { n: number };
      expect(found.n, `${table} row ${JSON.stringify(row)} after upgrading from v${from}`).toBe(1);
    }
  }
  expect(readMigrationRows(store.db).map((r) => r.name)).toEqual(names);
  store.dispose();

  const backups = fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.backup-'));
  if (from === 0) {
    expect(backups).toEqual([]);
    return;
  }
  expect(backups).toHaveLength(1);
  expect(backups[0]).toMatch(new RegExp(`^upgrade\\.db\\.backup-v${from}-\\d{8}T\\d{9}Z$`));
  expect(path.join(path.dirname(file), backups[0]!)).toBe(store.migration.backupFile);
  // The backup is the database as it was: old version, the sample rows.
  const copy = sandbox.raw(store.migration.backupFile!, { readonly: true });
  expect(copy.pragma('user_version', { simple: true })).toBe(from);
  expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
  for (const [table, rows] of Object.entries(inserted)) {
    expect(copy.prepare(`SELECT count(*) AS n FROM "${table}"`).get()).toEqual({ n: rows.length });
  }
  copy.close();
}

describe('upgrading', () => {
  it.each(REAL_NAMES.map((_, i) => i))('from v%i to the newest keeps the rows', (from) => {
    checkUpgradeFrom(MIGRATIONS_DIR, from, sampleRows);
  });

  it('works the same with two more (test-only) migrations after the real ones, from every version', () => {
    const dir = sandbox.migrationsWith({
      [extraName(LATEST + 1)]: EXTRA_TABLE_SQL(LATEST + 1),
      [extraName(LATEST + 2)]: EXTRA_TABLE_SQL(LATEST + 2),
    });
    const samples = { ...sampleRows, ...extraSamples(LATEST + 1), ...extraSamples(LATEST + 2) };
    for (let from = 0; from < LATEST + 2; from++) checkUpgradeFrom(dir, from, samples);
  });
});

describe('the backup', () => {
  it('never overwrites an existing file, and is named after the old version and the clock', () => {
    const dir = sandbox.migrationsWith({ [extraName(LATEST + 1)]: EXTRA_TABLE_SQL(LATEST + 1) });
    const file = path.join(sandbox.tempDir(), 'named.db');
    sandbox.open(file, { migrationsDir: dir, targetVersion: LATEST }).dispose();
    const taken = `${file}.backup-v${LATEST}-20260304T050607089Z`;
    fs.writeFileSync(taken, 'someone else');
    using store = sandbox.open(file, { migrationsDir: dir, now: () => new Date(Date.UTC(2026, 2, 4, 5, 6, 7, 89)) });
    expect(store.migration.backupFile).toBe(`${taken}-2`);
    expect(fs.readFileSync(taken, 'utf8')).toBe('someone else');
    expect(fs.statSync(`${taken}-2`).size).toBeGreaterThan(0);
  });
});

describe('a newer database', () => {
  function newerDatabase(mark: (db: Database) => void): string {
    const file = path.join(sandbox.tempDir(), 'newer.db');
    using store = sandbox.open(file);
    store.db.prepare("INSERT INTO app_settings VALUES ('kept', 'yes')").run();
    mark(store.db);
    store.dispose();
    return file;
  }

  function expectRefused(file: string, newest: number): void {
    const before = sha256(file);
    const files = fs.readdirSync(path.dirname(file)).sort();
    const error = thrown(() => sandbox.open(file));
    expect(error).toBeInstanceOf(SooError);
    expect(error.code).toBe('conflict');
    expect(error.message).toContain(`schema v${newest}`);
    expect(error.message).toContain(`up to v${LATEST}`);
    expect(error.message).toContain('--db');
    expect(error.message).toContain(file);
    expect(sha256(file)).toBe(before);
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(files);
  }

  it('is refused when user_version is past the newest migration, and left unmodified', () => {
    const file = newerDatabase((db) => db.pragma(`user_version = ${LATEST + 1}`));
    expectRefused(file, LATEST + 1);
  });

  it('is refused when schema_migrations records a version past the newest migration', () => {
    const file = newerDatabase((db) => {
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(LATEST + 5, '9999_future.sql', new Date().toISOString());
    });
    expectRefused(file, LATEST + 5);
  });

  it('is refused when user_version and schema_migrations disagree', () => {
    const file = newerDatabase((db) => db.pragma(`user_version = ${LATEST - 1}`));
    const error = thrown(() => sandbox.open(file));
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(/disagree.*user_version \d+.*schema_migrations up to v\d+/);
  });

  it('is refused rather than downgraded when asked for a lower targetVersion', () => {
    const file = newerDatabase(() => {});
    expect(thrown(() => sandbox.open(file, { targetVersion: LATEST - 1 })).code).toBe('conflict');
    expect(thrown(() => sandbox.open(file, { targetVersion: LATEST + 1 })).code).toBe('bad_input');
  });
});

describe('a failing migration', () => {
  const BROKEN = `
-- creates a table, fills it, then fails: none of it may stay
CREATE TABLE half_done (x INTEGER NOT NULL) STRICT;
INSERT INTO half_done VALUES (1);
INSERT INTO no_such_table VALUES (1);
`;

  it('on a fresh database leaves it at the previous version with no partial table', () => {
    const dir = sandbox.migrationsWith({ [`${String(LATEST + 1).padStart(4, '0')}_broken.sql`]: BROKEN });
    const file = path.join(sandbox.tempDir(), 'broken.db');
    const error = thrown(() => sandbox.open(file, { migrationsDir: dir }));
    expect(error).toBeInstanceOf(SooError);
    expect(error.message).toContain('_broken.sql');
    expect(error.message).toContain('no such table: no_such_table');
    expect(error.message).toContain(`left at schema v${LATEST}`);
    expect(error.data?.file).toBe(path.join(dir, `${String(LATEST + 1).padStart(4, '0')}_broken.sql`));

    const db = sandbox.raw(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(readMigrationRows(db).map((r) => r.version)).toEqual(REAL_NAMES.map((_, i) => i + 1));
    expect(tableNames(db)).not.toContain('half_done');
    db.close();
  });

  it('on a database with data keeps the data and the backup, and the real migrations still open it', () => {
    const dir = sandbox.migrationsWith({ [`${String(LATEST + 1).padStart(4, '0')}_broken.sql`]: BROKEN });
    const file = path.join(sandbox.tempDir(), 'broken-data.db');
    using store = sandbox.open(file);
    store.db.prepare("INSERT INTO app_settings VALUES ('kept', 'yes')").run();
    store.dispose();

    const error = thrown(() => sandbox.open(file, { migrationsDir: dir }));
    expect(error.message).toMatch(/a copy taken before migrating is at .*broken-data\.db\.backup-v\d+-/);
    const backups = fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.backup-'));
    expect(backups).toHaveLength(1);

    using reopened = sandbox.open(file);
    expect(reopened.schemaVersion).toBe(LATEST);
    expect(reopened.db.prepare('SELECT value FROM app_settings WHERE key = ?').get('kept')).toEqual({ value: 'yes' });
    expect(tableNames(reopened.db)).not.toContain('half_done');
  });

  it('that breaks a foreign key is rolled back by the foreign_key_check before commit', () => {
    const name = `${String(LATEST + 1).padStart(4, '0')}_orphan.sql`;
    const dir = sandbox.migrationsWith({
      [name]: `${EXTRA_TABLE_SQL(LATEST + 1)}\nINSERT INTO pack_notes_${LATEST + 1} (pack_id, note) VALUES ('missing-pack', 'orphan');\n`,
    });
    const file = path.join(sandbox.tempDir(), 'orphan.db');
    const error = thrown(() => sandbox.open(file, { migrationsDir: dir }));
    expect(error.message).toContain(name);
    expect(error.message).toContain('foreign key violation');
    const db = sandbox.raw(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    expect(tableNames(db)).not.toContain(`pack_notes_${LATEST + 1}`);
    db.close();
  });
});
