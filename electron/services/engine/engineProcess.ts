/**
 * One engine process: spawn, messages, exit with a reason, kill. Knows nothing about jobs.
 *
 * Spawned with child_process.fork (`--import tsx` so the TypeScript host runs as is, IPC with
 * `serialization: 'advanced'` so typed arrays pass). Keeps the last lines of the child's stderr so a crash
 * report can say what the native side printed (e.g. a GGML_ASSERT). Log lines carry the pid.
 *
 * Exit reasons: 'killed' (we stopped or killed it), 'oom' (SIGKILL we did not send, as the Linux OOM killer does,
 * or an out-of-memory message on stderr), 'crashed' (a fatal signal such as SIGABRT/SIGSEGV, or exit
 * code 134), 'exited' (any other exit, including code 0 when nobody asked for it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_ROOT } from '../paths.ts';
import { isFromEngine, type FromEngine, type ToEngine } from './protocol.ts';

export type EngineExitReason = 'crashed' | 'oom' | 'killed' | 'exited';

/** How long a failed write waits for the process's 'exit' before it is taken as the end. */
const EXIT_GRACE_MS = 2000;

export interface EngineExit {
  reason: EngineExitReason;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote to stderr. */
  stderrTail: string;
}

export interface EngineProcessOptions {
  /** The host entry; defaults to electron/engine-host/main.ts. */
  entry?: string;
  /** Extra environment for the engine (merged over process.env). */
  env?: NodeJS.ProcessEnv;
  /** Node flags for the child. Defaults to none for the bundled host, ['--import', 'tsx'] otherwise. */
  execArgv?: string[];
  /** Receives log lines ("[engine 1234] ..."); defaults to none. */
  log?: (line: string) => void;
}

const FATAL_SIGNALS = new Set(['SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP']);
const STDERR_TAIL_BYTES = 4096;

export const DEFAULT_ENGINE_ENTRY = path.join(APP_ROOT, 'electron', 'engine-host', 'main.ts');

/**
 * The engine host to fork and the Node flags it needs. Inside the app bundle (this module bundled into
 * .vite/build/main.js by Forge's Vite plugin) the host is the sibling bundle engine-host.js, plain
 * JavaScript (vite.engine.config.ts); from source it is the TypeScript entry run through tsx.
 */
export function defaultEngineEntry(moduleDir = path.dirname(fileURLToPath(import.meta.url))): { entry: string; execArgv: string[] } {
  const bundled = path.join(moduleDir, 'engine-host.js');
  if (fs.existsSync(bundled)) return { entry: bundled, execArgv: [] };
  return { entry: DEFAULT_ENGINE_ENTRY, execArgv: ['--import', 'tsx'] };
}

export class EngineProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  private stderrTail = '';
  private killRequested = false;
  private exitInfo: EngineExit | undefined;
  private readonly exitPromise: Promise<EngineExit>;
  private resolveExit!: (exit: EngineExit) => void;
  private readonly messageListeners = new Set<(message: FromEngine) => void>();
  private readonly log: (line: string) => void;

  constructor(options: EngineProcessOptions = {}) {
    this.log = options.log ?? (() => {});
    const fallback = defaultEngineEntry();
    this.child = fork(options.entry ?? fallback.entry, [], {
      execArgv: options.execArgv ?? (options.entry ? ['--import', 'tsx'] : fallback.execArgv),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
      cwd: APP_ROOT,
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.logLines(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
      this.logLines(chunk);
    });
    this.child.on('message', (message) => {
      if (!isFromEngine(message)) return;
      for (const listener of this.messageListeners) listener(message);
    });
    this.exitPromise = new Promise((resolve) => (this.resolveExit = resolve));
    this.child.on('exit', (code, signal) => this.finish(code, signal));
    this.child.on('error', (error) => this.onError(error));
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exitInfo) return;
    this.exitInfo = { reason: this.classify(code, signal), code, signal, stderrTail: this.stderrTail.trim() };
    this.log(`[engine ${this.pid}] exited: ${this.exitInfo.reason} (code ${code}, signal ${signal})`);
    this.resolveExit(this.exitInfo);
  }

  /**
   * A spawn failure (no pid: no 'exit' will come) ends the process at once. A failed write comes first
   * when the process is dying (EPIPE while it aborts): its 'exit', which carries the signal that tells a
   * crash, decides the reason. If none comes within EXIT_GRACE_MS, the error is taken as the end and
   * the process, unreachable now, is killed so it does not outlive its client.
   */
  private onError(error: Error): void {
    const end = () => {
      if (this.exitInfo) return;
      this.stderrTail += `\n${error.message}`;
      this.finish(null, null);
      this.child.kill('SIGKILL');
    };
    if (this.child.pid === undefined) return end();
    this.log(`[engine ${this.pid}] ${error.message}; waiting for its exit`);
    setTimeout(end, EXIT_GRACE_MS).unref();
  }

  get exited(): boolean {
    return this.exitInfo !== undefined;
  }

  onMessage(listener: (message: FromEngine) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Resolves once, when the process has exited (for whatever reason). */
  onExit(): Promise<EngineExit> {
    return this.exitPromise;
  }

  send(message: ToEngine): boolean {
    if (this.exited || !this.child.connected) return false;
    // with a callback, a failed write comes here instead of as an 'error' event
    this.child.send(message, (error) => {
      if (error) this.onError(error);
    });
    return true;
  }

  /** Asks the host to shut down, waits up to `ms`, then kills it. */
  async stop(ms = 2000): Promise<EngineExit> {
    if (this.exitInfo) return this.exitInfo;
    this.killRequested = true;
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => this.kill(), ms);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.exited) return;
    this.killRequested = true;
    this.child.kill('SIGKILL');
  }

  private classify(code: number | null, signal: NodeJS.Signals | null): EngineExitReason {
    if (this.killRequested) return 'killed';
    if (/out of memory|bad_alloc|heap limit/i.test(this.stderrTail)) return 'oom';
    if (signal === 'SIGKILL') return 'oom';
    if ((signal && FATAL_SIGNALS.has(signal)) || code === 134 || code === 139) return 'crashed';
    return 'exited';
  }

  private logLines(chunk: string): void {
    for (const line of chunk.split('\n')) if (line.trim()) this.log(`[engine ${this.pid}] ${line}`);
  }
}
