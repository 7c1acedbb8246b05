/**
 * Whether this build has the native engine: the addon file the engine process loads exists.
 * The same path rule as electron/engine-host/addon.ts (`addonPath`), repeated here because services
 * do not import the engine host; a file that exists but fails to load is reported by the engine's
 * first call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { APP_ROOT } from '../paths.ts';

export function nativeEngineAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.SOO_LAB_NATIVE_ADDON ?? path.join(APP_ROOT, 'native', 'build', 'Release', 'soo_native.node');
  return fs.existsSync(file);
}
