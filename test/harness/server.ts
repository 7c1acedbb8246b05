/**
 * The browser harness: serves the built renderer and the REAL services behind the same API contract
 * the Electron preload exposes, so the app can be driven by a plain browser (playwright in e2e tests,
 * or a developer's browser through `npm run dev:harness`).
 *
 * - `GET /...`        static files of the built renderer (index.html for `/`), with the app's CSP header.
 * - `POST /api/:name` JSON body -> `dispatch(createApiHandlers(services), name, body)` -> `ApiResult` JSON.
 * - `GET /api/events`  Server-Sent Events: every job event (`services.jobs.subscribe`) as one `data:` line
 *                      holding `{name, data}` (an `ApiEventMessage`), what Electron sends on EVENT_CHANNEL.
 *
 * Binds 127.0.0.1 only. Does not watch or rebuild: a build happens once per `startHarness` unless
 * `rendererDir` points at a prebuilt renderer (e.g. `.vite/renderer/main_window`).
 */
import http from 'node:http';
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { createServices, type Services } from '../../electron/services/index.ts';
import { createApiHandlers } from '../../electron/services/api/handlers.ts';
import { dispatch } from '../../electron/services/api/dispatch.ts';
import type { ApiResult } from '../../electron/contract/api.ts';
import type { ApiEventMessage } from '../../electron/contract/events.ts';
import { CONTENT_SECURITY_POLICY } from '../../electron/contract/csp.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The app's own policy (the Electron main process sends the same header). */
export const HARNESS_CSP = CONTENT_SECURITY_POLICY;

/** A comment line on the event stream this often keeps proxies and idle timers from closing it. */
const SSE_KEEPALIVE_MS = 15_000;

/** Largest request body accepted (bytes): a pack import carries up to 20 MB of text. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface HarnessOptions {
  /** SQLite file for the services (created and migrated if missing). */
  dbPath: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** A prebuilt renderer folder; when absent the renderer is built with vite into a temp folder. */
  rendererDir?: string;
  /** Which demo build the app offers (default: env SOO_LAB_DEMO_VARIANT, else full). */
  demoVariant?: 'full' | 'quick';
  /** Called for every API call (name, ok, ms): handy for debugging tests. */
  onCall?: (name: string, ok: boolean, ms: number) => void;
}

export interface Harness {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  services: Services;
  close(): Promise<void>;
}

/** Builds the renderer with vite's programmatic API into `outDir`. */
export async function buildRenderer(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: path.join(REPO_ROOT, 'vite.renderer.config.ts'),
    build: { outDir, emptyOutDir: true, sourcemap: false },
    logLevel: 'warn',
  });
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  let tempDir: string | undefined;
  let rendererDir = options.rendererDir;
  if (!rendererDir) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), 'soo-harness-'));
    rendererDir = path.join(tempDir, 'renderer');
    await buildRenderer(rendererDir);
  }
  const root = path.resolve(rendererDir);
  const services = createServices({ dbPath: options.dbPath, ...(options.demoVariant ? { demoVariant: options.demoVariant } : {}) });
  const handlers = createApiHandlers(services);

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `harness error: ${String(error)}`);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/api/events' && req.method === 'GET') return streamEvents(req, res);
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'POST only');
      const name = decodeURIComponent(url.pathname.slice('/api/'.length));
      const started = performance.now();
      const result = await callApi(name, req);
      options.onCall?.(name, result.ok, performance.now() - started);
      // Errors are data: a failed call is still a successful HTTP exchange (and logs nothing in the browser).
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(result));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'GET only');
    const file = resolveStatic(root, url.pathname);
    if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
    const body = await readFile(file);
    send(res, 200, CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', body, req.method === 'HEAD');
  }

  /** Keeps the response open and writes each job event to it until the browser goes away. */
  function streamEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n'); // flushes the headers: the browser's EventSource fires 'open'
    const unsubscribe = services.jobs.subscribe((message: ApiEventMessage) => {
      res.write(`data: ${JSON.stringify(message)}\n\n`);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS);
    req.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  async function callApi(name: string, req: http.IncomingMessage): Promise<ApiResult<unknown>> {
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch (error) {
      return { ok: false, error: { code: 'bad_input', message: `request body for ${name} is not JSON: ${(error as Error).message}` } };
    }
    return dispatch(handlers, name, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}/`,
    services,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.disposeAsync(); // stops the engine process too
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** Maps a URL path into `root`, refusing anything that escapes it; `/` is index.html. */
function resolveStatic(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = path.resolve(root, relative);
  return file === root || file.startsWith(root + path.sep) ? file : null;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headOnly = false): void {
  res.writeHead(status, {
    'content-type': type,
    'content-security-policy': HARNESS_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(headOnly ? undefined : body);
}
