/**
 * The client of the isolated engine process: request/response with job ids, progress callbacks,
 * AbortSignal -> cancel, crash detection and restart on the next call.
 *
 * - The process starts on the first call and again on the first call after it died.
 * - When it dies, every pending call rejects with SooError code 'engine_crashed'; the message gives the
 *   reason ('crashed' | 'oom' | 'killed' | 'exited') and the last stderr line, `onCrash` listeners hear it.
 * - An aborted signal rejects the call at once with code 'cancelled' and asks the engine to stop the job
 *   (the engine runs one job at a time, so later calls wait until it has stopped).
 * - dispose() (or `await using`) stops the process; calls after dispose throw.
 *
 * Does not: retry calls, validate inputs (the engine and the addon do), know about models or taps
 * beyond the typed method table of protocol.ts.
 */
import { SooError, type ErrorData } from '../../contract/errors.ts';
import { EngineProcess, type EngineExit, type EngineProcessOptions } from './engineProcess.ts';
import type { EngineInput, EngineMethod, EngineOutput, EngineProgress, FromEngine } from './protocol.ts';

export interface EngineClientOptions extends EngineProcessOptions {
  /** Allow the test-only 'debug.crash' method in the engine. Defaults to false. */
  debug?: boolean;
}

export interface EngineCallOptions {
  /** Called for each progress message of this call. */
  onProgress?: (progress: EngineProgress) => void;
  /** Aborting rejects the call with code 'cancelled' and cancels the job in the engine. */
  signal?: AbortSignal;
}

interface Pending {
  method: EngineMethod;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  onProgress?: (progress: EngineProgress) => void;
  cleanup: () => void;
}

export class EngineClient implements AsyncDisposable {
  private process: EngineProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private readonly crashListeners = new Set<(exit: EngineExit) => void>();
  private readonly options: EngineClientOptions;

  constructor(options: EngineClientOptions = {}) {
    this.options = options;
  }

  /** The running engine's pid, or undefined when none runs. */
  get pid(): number | undefined {
    return this.process && !this.process.exited ? this.process.pid : undefined;
  }

  /** Listens for engine deaths that were not asked for; returns an unsubscribe function. */
  onCrash(listener: (exit: EngineExit) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  call<M extends EngineMethod>(method: M, input: EngineInput<M>, options: EngineCallOptions = {}): Promise<EngineOutput<M>> {
    if (this.disposed) return Promise.reject(new SooError({ code: 'internal', message: 'the engine client was disposed' }));
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(cancelled(method, signal));

    const engine = this.ensureProcess();
    const id = this.nextId++;
    return new Promise<EngineOutput<M>>((resolve, reject) => {
      const onAbort = () => {
        this.settle(id)?.reject(cancelled(method, signal));
        engine.send({ type: 'cancel', id });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        method,
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(onProgress ? { onProgress } : {}),
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      engine.send({ type: 'call', id, method, input });
    });
  }

  /** Stops the engine process (asks, then kills after `ms`); pending calls reject with engine_crashed. */
  async stop(ms = 2000): Promise<void> {
    const engine = this.process;
    if (engine && !engine.exited) await engine.stop(ms);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private ensureProcess(): EngineProcess {
    if (this.process && !this.process.exited) return this.process;
    const engine = new EngineProcess({
      ...this.options,
      env: { ...this.options.env, ...(this.options.debug ? { SOO_LAB_ENGINE_DEBUG: '1' } : {}) },
    });
    engine.onMessage((message) => this.onMessage(message));
    void engine.onExit().then((exit) => this.onExit(engine, exit));
    this.process = engine;
    return engine;
  }

  private onMessage(message: FromEngine): void {
    switch (message.type) {
      case 'ready':
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.progress);
        return;
      case 'result':
        this.settle(message.id)?.resolve(message.output);
        return;
      case 'error':
        this.settle(message.id)?.reject(new SooError(message.error));
        return;
    }
  }

  private onExit(engine: EngineProcess, exit: EngineExit): void {
    if (this.process !== engine) return;
    const lastLine = exit.stderrTail.split('\n').filter((l) => l.trim()).pop();
    const data: ErrorData = {
      code: 'engine_crashed',
      message:
        `the engine process ${engine.pid} ${exit.reason === 'exited' ? 'exited' : exit.reason === 'killed' ? 'was stopped' : exit.reason === 'oom' ? 'ran out of memory' : 'crashed'}` +
        ` (reason: ${exit.reason}, code ${exit.code}, signal ${exit.signal})` +
        (lastLine ? `: ${lastLine}` : ''),
      hint: 'the next call starts a fresh engine',
    };
    for (const id of [...this.pending.keys()]) {
      const pending = this.settle(id);
      pending?.reject(new SooError({ ...data, message: `${pending.method}: ${data.message}` }));
    }
    if (exit.reason !== 'killed') for (const listener of this.crashListeners) listener(exit);
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    pending.cleanup();
    return pending;
  }
}

function cancelled(method: string, signal: AbortSignal | undefined): SooError {
  const reason = signal?.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new SooError({ code: 'cancelled', message: `${method} cancelled${reason}` });
}
