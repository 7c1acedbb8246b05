/** openDatabase: folder creation, connection pragmas, the Store's lifecycle. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { realMigrationNames, thrown, useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();

describe('openDatabase', () => {
  it('creates missing parent folders and the file', () => {
    const file = path.join(sandbox.tempDir(), 'a', 'b', 'lab.db');
    using store = sandbox.open(file);
    expect(store.file).toBe(file);
    expect(fs.statSync(file).isFile()).toBe(true);
  });

  it('sets WAL, synchronous = FULL, foreign keys on and the busy timeout', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'pragmas.db'), { busyTimeoutMs: 1234 });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(1234);
  });

  it('enforces foreign keys on the returned connection', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'fk.db'));
    store.db.exec('CREATE TEMP TABLE parent (id TEXT PRIMARY KEY); CREATE TEMP TABLE child (p TEXT REFERENCES parent (id))');
    expect(thrown(() => store.db.prepare("INSERT INTO child VALUES ('none')").run()).code).toBe('SQLITE_CONSTRAINT_FOREIGNKEY');
  });

  it('opens :memory: databases, migrated', () => {
    using store = sandbox.open(':memory:');
    expect(store.schemaVersion).toBe(realMigrationNames().length);
  });

  it('refuses a file that is not SQLite as bad_input, leaving it as it was', () => {
    const file = path.join(sandbox.tempDir(), 'notes.txt');
    fs.writeFileSync(file, 'these are notes, not a database\n'.repeat(200));
    const before = fs.readFileSync(file, 'utf8');
    const error = thrown(() => sandbox.open(file));
    expect(error.code).toBe('bad_input');
    expect(error.message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('reopens an up-to-date database without migrating or backing up', () => {
    const file = path.join(sandbox.tempDir(), 'again.db');
    sandbox.open(file).dispose();
    using store = sandbox.open(file);
    expect(store.migration.applied).toEqual([]);
    expect(store.migration.backupFile).toBeUndefined();
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.backup-'))).toEqual([]);
  });
});

describe('Store', () => {
  it('dispose closes the connection, is idempotent, and use afterwards throws', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'dispose.db'));
    const db = store.db;
    expect(store.disposed).toBe(false);
    store.dispose();
    expect(db.open).toBe(false);
    expect(store.disposed).toBe(true);
    expect(() => store.dispose()).not.toThrow();
    expect(() => store[Symbol.dispose]()).not.toThrow();
    const error = thrown(() => store.db);
    expect(error).toBeInstanceOf(SooError);
    expect(error.message).toContain('dispose.db');
    expect(() => store.schemaVersion).toThrow(SooError);
  });

  it('[Symbol.dispose] closes it too', () => {
    using store = sandbox.open(path.join(sandbox.tempDir(), 'symbol.db'));
    const db = store.db;
    store[Symbol.dispose]();
    expect(db.open).toBe(false);
  });
});
