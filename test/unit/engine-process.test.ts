/**
 * EngineProcess end-of-life: a failed IPC write (EPIPE) reaches us before the 'exit' of a process that
 * is aborting; the exit's signal must decide the reason ('crashed'), not the write error. A write error
 * with no exit after it is taken as the end, and the process is killed. The host is a stand-in
 * (test/fixtures/idle-engine.mjs), so no native addon is needed.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineProcess } from '../../electron/services/engine/engineProcess.ts';
import { isAlive } from '../helpers/process.ts';

const ENTRY = path.join(import.meta.dirname, '../fixtures/idle-engine.mjs');

async function started(): Promise<EngineProcess> {
  const engine = new EngineProcess({ entry: ENTRY, execArgv: [] });
  await new Promise<void>((resolve) => engine.onMessage((m) => m.type === 'ready' && resolve()));
  return engine;
}

/** What Node emits on the child when a write to its IPC channel fails. */
function writeFails(engine: EngineProcess): void {
  (engine as unknown as { child: ChildProcess }).child.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
}

describe('EngineProcess', () => {
  it('a write error before a crash: the exit decides the reason (crashed, SIGABRT)', async () => {
    const engine = await started();
    writeFails(engine);
    expect(engine.exited).toBe(false);
    process.kill(engine.pid, 'SIGABRT');
    const exit = await engine.onExit();
    expect(exit).toMatchObject({ reason: 'crashed', code: null, signal: 'SIGABRT' });
    expect(exit.stderrTail).not.toContain('EPIPE');
  });

  it('a write error with no exit after it ends the process after the grace period, and kills it', { timeout: 10_000 }, async () => {
    const engine = await started();
    writeFails(engine);
    const exit = await engine.onExit();
    expect(exit).toMatchObject({ reason: 'exited', code: null, signal: null });
    expect(exit.stderrTail).toContain('write EPIPE');
    await expect.poll(() => isAlive(engine.pid), { timeout: 5000 }).toBe(false);
  });
});
