/**
 * Loads native/build/Release/soo_native.node for the engine process, or explains why it cannot:
 * "native engine not built: <reason>" with the reason the build script recorded
 * (native/build/build-error.txt) or the load error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { SooError } from '../contract/errors.ts';
import { NATIVE_ADDON_PATH } from '../services/paths.ts';
import type { SooNativeAddon } from '../../native/index.d.ts';

/** Where the build script puts the addon; SOO_LAB_NATIVE_ADDON overrides (packaged apps, tests). */
export function addonPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOO_LAB_NATIVE_ADDON ?? NATIVE_ADDON_PATH;
}

let cached: SooNativeAddon | undefined;

export function loadAddon(): SooNativeAddon {
  if (cached) return cached;
  const file = addonPath();
  if (!fs.existsSync(file)) {
    const errorFile = path.join(path.dirname(path.dirname(file)), 'build-error.txt');
    const reason = fs.existsSync(errorFile)
      ? fs.readFileSync(errorFile, 'utf8').trim()
      : `${file} is missing`;
    throw new SooError({
      code: 'internal',
      message: `native engine not built: ${reason}`,
      hint: 'run `npm run build:native` (needs CMake and a C++ compiler)',
    });
  }
  try {
    cached = createRequire(import.meta.url)(file) as SooNativeAddon;
  } catch (error) {
    throw new SooError({
      code: 'internal',
      message: `native engine not built: ${file} could not be loaded: ${(error as Error).message}`,
      hint: 'rebuild it with `node scripts/build-native.mjs --clean`',
    });
  }
  return cached;
}
