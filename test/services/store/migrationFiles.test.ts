/** The migrations folder check: names, gaps, duplicates, each error naming the files involved. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../../electron/services/paths.ts';
import { loadMigrations } from '../../../electron/services/store/index.ts';
import { realMigrationNames, thrown, useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();

function folder(names: string[]): string {
  const dir = sandbox.tempDir();
  for (const name of names) fs.writeFileSync(path.join(dir, name), `-- ${name}\nCREATE TABLE t_${name.slice(0, 4)} (x TEXT) STRICT;\n`);
  return dir;
}

describe('loadMigrations', () => {
  it('reads the real folder in order, with versions from the file names', () => {
    const names = realMigrationNames();
    const migrations = loadMigrations(MIGRATIONS_DIR);
    expect(migrations.map((m) => m.name)).toEqual(names);
    expect(migrations.map((m) => m.version)).toEqual(names.map((n) => Number.parseInt(n, 10)));
    expect(migrations[0]!.sql).toContain('CREATE TABLE scenario_packs');
  });

  it('ignores files that are not .sql', () => {
    const dir = folder(['0001_a.sql', '0002_b.sql']);
    fs.writeFileSync(path.join(dir, 'README.md'), '# notes');
    expect(loadMigrations(dir).map((m) => m.name)).toEqual(['0001_a.sql', '0002_b.sql']);
  });

  it('rejects a gap, naming the missing number and the file after it', () => {
    const error = thrown(() => loadMigrations(folder(['0001_a.sql', '0002_b.sql', '0004_d.sql'])));
    expect(error.message).toContain('expected 0003 after 0002_b.sql, found 0004_d.sql');
  });

  it('rejects a folder that does not start at 0001', () => {
    expect(thrown(() => loadMigrations(folder(['0002_b.sql']))).message).toContain('expected 0001, found 0002_b.sql');
  });

  it('rejects a duplicate number, naming both files', () => {
    const error = thrown(() => loadMigrations(folder(['0001_a.sql', '0002_b.sql', '0002_c.sql'])));
    expect(error.message).toContain('duplicate migration numbers: 0002_b.sql and 0002_c.sql');
  });

  it('rejects badly named .sql files instead of skipping them', () => {
    for (const bad of ['2_b.sql', '0002-runs.sql', '0002_Runs.sql', '00002_b.sql']) {
      const error = thrown(() => loadMigrations(folder(['0001_a.sql', bad])));
      expect(error.message, bad).toContain(`badly named migration file(s) ${bad}`);
    }
  });

  it('rejects an empty or missing folder', () => {
    expect(thrown(() => loadMigrations(folder([]))).message).toContain('no migration files');
    expect(thrown(() => loadMigrations(path.join(sandbox.tempDir(), 'nope'))).message).toContain('cannot read the migrations folder');
  });

  it('fails openDatabase before the database file is created', () => {
    const dir = folder(['0001_a.sql', '0003_c.sql']);
    const file = path.join(sandbox.tempDir(), 'sub', 'never.db');
    const error = thrown(() => sandbox.open(file, { migrationsDir: dir }));
    expect(error.message).toContain('0003_c.sql');
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });
});
