/**
 * Error data that crosses every boundary (IPC, the browser harness, the CLI's --json output).
 *
 * Electron's invoke() only carries an Error's message, so services throw `SooError`s and the
 * boundary converts them to this plain shape. No node or electron imports here: the renderer
 * type-checks against this file too.
 */

/** What kind of failure this is; the CLI maps `bad_input` to exit code 2, everything else to 1. */
export type ErrorCode =
  | 'bad_input' // the caller gave something invalid: a file, a field, a flag
  | 'not_found' // a named thing (pack, run, model) does not exist
  | 'conflict' // the operation contradicts stored state (e.g. a database newer than this app)
  | 'cancelled' // the user or a signal stopped the work
  | 'engine_crashed' // the isolated engine process died (abort, out of memory, killed)
  | 'internal'; // a bug or an unexpected environment problem

/** One problem inside an input, located by a JSON path ("$.lists.rooms.test[3]") or a line. */
export interface ErrorIssue {
  path: string;
  message: string;
  line?: number;
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** The file the problem is in, when there is one. */
  file?: string;
  /** The JSON path of the first problem, when the input is JSON. */
  path?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Every problem found, for inputs validated as a whole. */
  issues?: ErrorIssue[];
}

/** The one error class services throw. Carries `ErrorData` so every boundary can serialize it. */
export class SooError extends Error {
  readonly data: ErrorData;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'SooError';
    this.data = data;
  }

  get code(): ErrorCode {
    return this.data.code;
  }
}

export function badInput(message: string, extra: Omit<ErrorData, 'code' | 'message'> = {}): SooError {
  return new SooError({ code: 'bad_input', message, ...extra });
}

export function notFound(message: string, extra: Omit<ErrorData, 'code' | 'message'> = {}): SooError {
  return new SooError({ code: 'not_found', message, ...extra });
}

/** Converts anything thrown into ErrorData; unknown errors become `internal` with their message. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof SooError) return error.data;
  if (isErrorData(error)) return error;
  if (error instanceof Error) {
    if (error.name === 'AbortError') return { code: 'cancelled', message: error.message || 'cancelled' };
    return { code: 'internal', message: error.message };
  }
  return { code: 'internal', message: String(error) };
}

export function isErrorData(value: unknown): value is ErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorData).code === 'string' &&
    typeof (value as ErrorData).message === 'string'
  );
}

/** Formats issues one per line: "<file>: $.path: message". */
export function formatIssues(data: ErrorData): string {
  const prefix = data.file ? `${data.file}: ` : '';
  if (!data.issues?.length) return `${prefix}${data.path ? `${data.path}: ` : ''}${data.message}`;
  return [data.message, ...data.issues.map((i) => `  ${prefix}${i.path}${i.line ? ` (line ${i.line})` : ''}: ${i.message}`)].join('\n');
}
