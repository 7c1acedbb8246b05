/**
 * Shared helpers for the store tests: temporary folders, migration folders built from the real
 * ones plus extra files, raw (unmigrated) connections, and a tracker that fails a test which leaves
 * a Store or a raw connection open.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { afterEach, expect } from 'vitest';
import { MIGRATIONS_DIR } from '../../../electron/services/paths.ts';
import { openDatabase } from '../../../electron/services/store/index.ts';
import type { OpenDatabaseOptions, Store } from '../../../electron/services/store/index.ts';

/** Registers per-test cleanup: temp folders removed, every connection opened here must be closed. */
export function useStoreSandbox() {
  const dirs: string[] = [];
  const stores: Store[] = [];
  const raws: Database[] = [];

  afterEach(() => {
    const leakedStores = stores.filter((s) => !s.disposed).map((s) => s.file);
    const leakedRaw = raws.filter((db) => db.open).map((db) => db.name);
    for (const s of stores) s.dispose();
    for (const db of raws) if (db.open) db.close();
    stores.length = 0;
    raws.length = 0;
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    expect(leakedStores, 'stores left open by the test').toEqual([]);
    expect(leakedRaw, 'raw connections left open by the test').toEqual([]);
  });

  return {
    tempDir(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-store-'));
      dirs.push(dir);
      return dir;
    },
    /** openDatabase, tracked. */
    open(file: string, options?: OpenDatabaseOptions): Store {
      const store = openDatabase(file, options);
      stores.push(store);
      return store;
    },
    /** A plain better-sqlite3 connection: no pragmas, no migrations. Tracked. */
    raw(file: string, options?: BetterSqlite3.Options): Database {
      const db = new BetterSqlite3(file, options);
      raws.push(db);
      return db;
    },
    /** A migrations folder with copies of the real files (up to `upTo`, default all) plus `extra`. */
    migrationsWith(extra: Record<string, string>, upTo = Infinity): string {
      const dir = this.tempDir();
      for (const name of realMigrationNames().slice(0, upTo)) {
        fs.copyFileSync(path.join(MIGRATIONS_DIR, name), path.join(dir, name));
      }
      for (const [name, sql] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), sql);
      return dir;
    },
  };
}

/** The real migration files, found with a plain directory listing (independent of loadMigrations). */
export function realMigrationNames(dir = MIGRATIONS_DIR): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^\d{4}_.*\.sql$/.test(name))
    .sort();
}

export function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The tables of a database, minus SQLite's own. */
export function tableNames(db: Database): string[] {
  const rows = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  return rows.map((r) => r.name);
}

/** Runs `fn`, expects it to throw, returns the error. */
export function thrown(fn: () => unknown): Error & { code?: string; data?: { file?: string } } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected the call to throw, it returned');
}
