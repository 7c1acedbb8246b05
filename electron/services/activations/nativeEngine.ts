/**
 * Whether this build has the native engine: the addon file the engine process loads exists.
 * The same path as electron/engine-host/addon.ts (`addonPath`: paths.ts NATIVE_ADDON_PATH); a file that exists but fails to load is reported by the engine's
 * first call.
 */
import fs from 'node:fs';
import { NATIVE_ADDON_PATH } from '../paths.ts';

export function nativeEngineAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.SOO_LAB_NATIVE_ADDON ?? NATIVE_ADDON_PATH;
  return fs.existsSync(file);
}
