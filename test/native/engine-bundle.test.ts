/**
 * The packaged app's engine host: vite.engine.config.ts bundles electron/engine-host/main.ts to plain
 * JavaScript, and that bundle runs under Node WITHOUT tsx (as Electron-as-Node runs it in a packaged app),
 * loads the addon and answers real calls. Also checks that EngineProcess picks a sibling engine-host.js
 * when there is one (the layout inside .vite/build/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../electron/services/engine/engineClient.ts';
import { defaultEngineEntry, DEFAULT_ENGINE_ENTRY } from '../../electron/services/engine/engineProcess.ts';
import { APP_ROOT } from '../../electron/services/paths.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt } from './native-addon.ts';

// Inside the repository, so the bundle finds the app root (package.json) above it as it does in app.asar.
const OUT_DIR = path.join(APP_ROOT, 'test-output', 'engine-bundle', '.vite', 'build');

describe('engine host entry', () => {
  it('is the TypeScript source through tsx from source, the sibling bundle inside .vite/build', () => {
    const fromSource = defaultEngineEntry(path.join(APP_ROOT, 'electron', 'services', 'engine'));
    expect(fromSource).toEqual({ entry: DEFAULT_ENGINE_ENTRY, execArgv: ['--import', 'tsx'] });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-lab-entry-'));
    try {
      fs.writeFileSync(path.join(dir, 'engine-host.js'), '');
      expect(defaultEngineEntry(dir)).toEqual({ entry: path.join(dir, 'engine-host.js'), execArgv: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!addonBuilt)('bundled engine host', () => {
  let engine: EngineClient;
  let bundle: string;
  beforeAll(async () => {
    fs.rmSync(OUT_DIR, { recursive: true, force: true });
    await build({ configFile: path.join(APP_ROOT, 'vite.engine.config.ts'), logLevel: 'warn', build: { outDir: OUT_DIR } });
    bundle = path.join(OUT_DIR, 'engine-host.js');
    engine = new EngineClient({ entry: bundle, execArgv: [] });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('runs under plain Node and answers model and tokenizer calls', async () => {
    const source = fs.readFileSync(bundle, 'utf8');
    expect(source).not.toMatch(/from ["'][^"']+\.ts["']/); // no TypeScript imports left for Node to choke on
    const hello = await engine.call('engine.hello', {});
    expect(hello.pid).toBe(engine.pid);
    const modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 2, kvHeads: 2 });
    const info = await engine.call('model.info', { modelPath });
    expect(info.architecture).toBe('llama');
    expect(info.nLayer).toBe(2);
  });
});
