/**
 * `npm run dev:harness`: builds the renderer and serves it with the real services on 127.0.0.1,
 * printing the URL. Options: `--db FILE` (default: a fresh temp database), `--port N`,
 * `--prebuilt` (serve .vite/renderer/main_window instead of building). Ctrl-C stops it.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startHarness } from './server.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    port: { type: 'string', default: '0' },
    prebuilt: { type: 'boolean', default: false },
  },
});

const dbPath = values.db ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'soo-dev-')), 'soo-lab.db');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer 0..65535, got ${JSON.stringify(values.port)}`);
  process.exit(2);
}

const harness = await startHarness({
  dbPath,
  port,
  ...(values.prebuilt ? { rendererDir: path.resolve('.vite/renderer/main_window') } : {}),
  onCall: (name, ok, ms) => console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${ms.toFixed(1)} ms`),
});
console.log(`SOO Lab harness: ${harness.url}  (db: ${dbPath})`);

const stop = () => {
  void harness.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
