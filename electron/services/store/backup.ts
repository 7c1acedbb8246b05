/**
 * The copy taken before migrating: `<file>.backup-v<old version>-<UTC timestamp>`, next to the file.
 *
 * Uses `VACUUM INTO` rather than better-sqlite3's `db.backup()`: that one is asynchronous, and
 * opening the store is synchronous (createServices, the CLI). Both write a transactionally
 * consistent snapshot of the database as this connection sees it, WAL content included.
 */
import fs from 'node:fs';
import type { Database } from 'better-sqlite3';
import { SooError } from '../../contract/errors.ts';

/** Copies the database to `<file>.backup-v<version>-<UTC timestamp>` (a new name, never overwriting). */
export function backupBeforeMigrating(db: Database, file: string, version: number, at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, ''); // 20261128T090320123Z: no ':' (Windows)
  let backupFile = `${file}.backup-v${version}-${stamp}`;
  for (let n = 2; fs.existsSync(backupFile); n++) backupFile = `${file}.backup-v${version}-${stamp}-${n}`;
  try {
    db.prepare('VACUUM INTO ?').run(backupFile);
    // VACUUM INTO does not fsync its output; do it, so the copy is on disk before the migrations
    // (which are synced at each commit) change the original.
    const fd = fs.openSync(backupFile, 'r+');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    throw new SooError({
      code: 'internal',
      message: `could not back up ${file} to ${backupFile} before migrating, so nothing was migrated: ${(error as Error).message}`,
      file,
    });
  }
  return backupFile;
}
