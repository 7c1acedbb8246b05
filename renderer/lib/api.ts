/**
 * The contract client: the ONLY module in the renderer that talks to the outside.
 *
 * In Electron the preload exposes `window.soo` (a `SooBridge`: one function per contract entry that
 * returns an `ApiResult`); in the browser harness every entry is `POST /api/<name>` with the input as
 * JSON and an `ApiResult` as the response body. Both are unwrapped here into an `ApiClient` whose
 * functions return the value or throw an `ApiError` carrying the `ErrorData` (code, message, path, issues).
 * Pushed events (job progress and completion) come through `onEvent`: the bridge's `onEvent` in
 * Electron, Server-Sent Events from GET /api/events in the harness.
 */
import { apiNames, type ApiClient, type ApiName, type ApiResult, type SooBridge } from '../../electron/contract/api.ts';
import { formatIssues, isErrorData, type ErrorData, type ErrorIssue } from '../../electron/contract/errors.ts';
import type { ApiEventMessage, ApiEventName, ApiEvents } from '../../electron/contract/events.ts';

declare global {
  interface Window {
    soo?: SooBridge;
  }
}

/** A failed contract call, with the error data the services produced. */
export class ApiError extends Error {
  readonly data: ErrorData;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'ApiError';
    this.data = data;
  }

  get code(): ErrorData['code'] {
    return this.data.code;
  }

  get issues(): ErrorIssue[] {
    return this.data.issues ?? [];
  }

  /** Message plus one line per issue, for banners. */
  describe(): string {
    return formatIssues(this.data);
  }
}

type Transport = (name: ApiName, input: unknown) => Promise<ApiResult<unknown>>;

function bridgeTransport(bridge: SooBridge): Transport {
  return (name, input) => (bridge[name] as (input: unknown) => Promise<ApiResult<unknown>>)(input);
}

async function httpTransport(name: ApiName, input: unknown): Promise<ApiResult<unknown>> {
  let response: Response;
  try {
    response = await fetch(`/api/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input ?? {}),
    });
  } catch (error) {
    return { ok: false, error: { code: 'internal', message: `cannot reach the app server for ${name}: ${String(error)}` } };
  }
  const body: unknown = await response.json().catch(() => null);
  if (isApiResult(body)) return body;
  return {
    ok: false,
    error: { code: 'internal', message: `${name}: unexpected response (HTTP ${response.status} ${response.statusText})` },
  };
}

function isApiResult(value: unknown): value is ApiResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { ok?: unknown; error?: unknown };
  return r.ok === true || (r.ok === false && isErrorData(r.error));
}

/** Builds an `ApiClient` over a transport; exported for tests. */
export function createApiClient(transport: Transport): ApiClient {
  const client: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const name of apiNames) {
    client[name] = async (input) => {
      const result = await transport(name, input);
      if (!result.ok) throw new ApiError(result.error);
      return result.value;
    };
  }
  return client as ApiClient;
}

/** The app-wide client: the Electron bridge when present, else HTTP to the harness. */
export const api: ApiClient = createApiClient(
  typeof window !== 'undefined' && window.soo ? bridgeTransport(window.soo) : httpTransport,
);

/** Turns anything thrown into error data, so banners can show code, message and issues. */
export function errorDataOf(error: unknown): ErrorData {
  if (error instanceof ApiError) return error.data;
  if (isErrorData(error)) return error;
  return { code: 'internal', message: error instanceof Error ? error.message : String(error) };
}

// ---- pushed events ----------------------------------------------------------------------------------

type AnyHandler = (data: unknown) => void;

/**
 * Events in the browser harness: one EventSource on GET /api/events, opened with the first
 * subscription and closed with the last; each message is an `ApiEventMessage` ({name, data}).
 */
class HttpEvents {
  #source: EventSource | null = null;
  #handlers = new Map<ApiEventName, Set<AnyHandler>>();
  #opened: Promise<void> = Promise.resolve();

  subscribe(name: ApiEventName, handler: AnyHandler): () => void {
    let set = this.#handlers.get(name);
    if (!set) this.#handlers.set(name, (set = new Set()));
    set.add(handler);
    this.#open();
    return () => {
      set.delete(handler);
      if ([...this.#handlers.values()].every((s) => s.size === 0)) this.#close();
    };
  }

  /** Resolves once the stream is connected, so a job started afterwards cannot miss its events. */
  ready(): Promise<void> {
    return this.#opened;
  }

  #open(): void {
    if (this.#source) return;
    const source = new EventSource('/api/events');
    this.#source = source;
    this.#opened = new Promise((resolve) => source.addEventListener('open', () => resolve(), { once: true }));
    source.onmessage = (event: MessageEvent<string>) => {
      let message: ApiEventMessage;
      try {
        message = JSON.parse(event.data) as ApiEventMessage;
      } catch {
        return; // not ours
      }
      for (const handler of this.#handlers.get(message.name) ?? []) handler(message.data);
    };
  }

  #close(): void {
    this.#source?.close();
    this.#source = null;
    this.#opened = Promise.resolve();
  }
}

const httpEvents = typeof window !== 'undefined' && !window.soo ? new HttpEvents() : null;

/** Subscribes to a pushed event (onJobProgress, onJobDone); returns the unsubscribe function. */
export function onEvent<E extends ApiEventName>(name: E, handler: (data: ApiEvents[E]) => void): () => void {
  if (typeof window !== 'undefined' && window.soo) {
    // A bridge without events (a test stand-in) gets none, rather than breaking the app.
    return typeof window.soo.onEvent === 'function' ? window.soo.onEvent(name, handler) : () => {};
  }
  if (!httpEvents) return () => {};
  return httpEvents.subscribe(name, handler as AnyHandler);
}

/** Resolves when pushed events are flowing (at once in Electron; when the event stream is open in the harness). */
export function eventsReady(): Promise<void> {
  return httpEvents?.ready() ?? Promise.resolve();
}
