import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product name Electron uses for the user data folder; the CLI resolves the same folder. */
export const PRODUCT_NAME = 'SOO Lab';

/**
 * The app's data folder, the same one Electron's `app.getPath('userData')` returns, so the CLI
 * and the desktop app see one database by default. `SOO_LAB_HOME` overrides it (tests, portable use).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SOO_LAB_HOME) return env.SOO_LAB_HOME;
  const home = os.homedir();
  switch (process.platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', PRODUCT_NAME);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), PRODUCT_NAME);
  }
}

/** The default SQLite file: `--db` and `SOO_LAB_DB` take precedence (cli.md). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOO_LAB_DB ?? path.join(defaultDataDir(env), 'soo-lab.db');
}

/**
 * The repository (or packaged app) root: the nearest folder above this module holding package.json.
 * From source that is two levels above electron/services/; inside the app bundle (.vite/build/main.js,
 * packed in app.asar) it is the app folder.
 */
export const APP_ROOT = findAppRoot(path.dirname(fileURLToPath(import.meta.url)));

function findAppRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

/**
 * A folder of the app: beside the sources (development, CLI), else in Electron's resources folder,
 * where the packagers copy `extraResource` entries (forge.config.ts, electron-builder.yml).
 */
export function appFile(name: string): string {
  const local = path.join(APP_ROOT, name);
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  if (fs.existsSync(local) || !resourcesPath) return local;
  const packaged = path.join(resourcesPath, path.basename(name));
  return fs.existsSync(packaged) ? packaged : local;
}

export const RESOURCES_DIR = appFile('resources');
export const MIGRATIONS_DIR = appFile('migrations');
/** The native addon built by scripts/build-native.mjs (packaged apps: resources/soo_native.node). */
export const NATIVE_ADDON_PATH = appFile(path.join('native', 'build', 'Release', 'soo_native.node'));
