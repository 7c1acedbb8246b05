/**
 * Crash safety: a child process saves packs in a loop (one transaction each, a line on stdout after
 * each commit) and is killed with SIGKILL mid-loop, three times on the same file. After each kill the
 * database must pass `PRAGMA integrity_check`, keep the rows written before the test unchanged,
 * hold every pack the child reported committed, and hold no row that is not a complete pack.
 * This covers a process crash (the OS keeps what was written), not a power cut.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT } from '../../../electron/services/paths.ts';
import { PackRepository } from '../../../electron/services/store/index.ts';
import { crashPackId, crashPackJson, crashPackName } from '../../fixtures/store/crashPacks.ts';
import { useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();
const CHILD = path.join(APP_ROOT, 'test', 'fixtures', 'store', 'writePacksUntilKilled.ts');
/** The child stops on its own after this many packs or milliseconds, so a stuck test still ends. */
const CHILD_MAX_COUNT = 20_000;
const CHILD_MAX_MS = 20_000;
/** Kill after this many reported commits, one round each: early, middle, later in a run. */
const KILL_AFTER = [5, 40, 150];

interface ChildResult {
  committed: string[];
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the writer until it has reported `killAfter` commits, then SIGKILLs it; collects every line. */
function runAndKill(file: string, prefix: string, killAfter: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, prefix, String(CHILD_MAX_COUNT), String(CHILD_MAX_MS)], {
      cwd: APP_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const committed: string[] = [];
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const match = /^committed (\S+)$/.exec(line);
        if (!match) return reject(new Error(`unexpected child output: ${line}`));
        committed.push(match[1]!);
      }
      if (committed.length >= killAfter && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (pending !== '') reject(new Error(`child output ended mid-line: ${JSON.stringify(pending)}`));
      resolve({ committed, signal, stderr });
    });
  });
}

describe('crash safety', () => {
  it('keeps every reported commit and no partial row when the writer is SIGKILLed', async () => {
    const file = path.join(sandbox.tempDir(), 'crash.db');

    // Rows that exist before any crash, read back as stored.
    const setup = sandbox.open(file);
    const packs = new PackRepository(setup.db);
    for (let i = 0; i < 3; i++) packs.save({ id: `before-${i}`, name: `Before ${i}`, json: crashPackJson('before', i) });
    const rowsBefore = setup.db.prepare("SELECT * FROM scenario_packs WHERE id LIKE 'before-%' ORDER BY id").all();
    expect(rowsBefore).toHaveLength(3);
    setup.dispose();

    for (const [round, killAfter] of KILL_AFTER.entries()) {
      const prefix = `r${round}`;
      const child = await runAndKill(file, prefix, killAfter);
      expect(child.signal, `the child should die by our SIGKILL, not finish (stderr: ${child.stderr})`).toBe('SIGKILL');
      expect(child.committed.length).toBeGreaterThanOrEqual(killAfter);
      // The child reports ids in order 0, 1, 2, ...
      expect(child.committed).toEqual(child.committed.map((_, i) => crashPackId(prefix, i)));

      using store = sandbox.open(file);
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(store.db.prepare("SELECT * FROM scenario_packs WHERE id LIKE 'before-%' ORDER BY id").all()).toEqual(rowsBefore);

      const rows = store.db
        .prepare('SELECT id, name, description, json FROM scenario_packs WHERE id LIKE ? ORDER BY id')
        .all(`${prefix}-%`) as Array<{ id: string; name: string; description: string; json: string }>;
      // Everything reported is there; at most one more (committed, killed before its line was written).
      expect(rows.length).toBeGreaterThanOrEqual(child.committed.length);
      expect(rows.length).toBeLessThanOrEqual(child.committed.length + 1);
      // Every row present is a complete pack, identical to what the child saved for that index.
      rows.forEach((row, index) => {
        expect(row).toEqual({
          id: crashPackId(prefix, index),
          name: crashPackName(prefix, index),
          description: `row ${index}`,
          json: crashPackJson(prefix, index),
        });
      });
      // Earlier rounds are untouched too.
      for (let earlier = 0; earlier < round; earlier++) {
        const n = store.db.prepare('SELECT count(*) AS n FROM scenario_packs WHERE id LIKE ?').get(`r${earlier}-%`) as { n: number };
        expect(n.n).toBeGreaterThanOrEqual(KILL_AFTER[earlier]!);
      }
      store.dispose();
    }
  }, 120_000);
});
