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

/** The repository (or packaged app) root: electron/services/ is two levels below it. */
export const APP_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const RESOURCES_DIR = path.join(APP_ROOT, 'resources');
export const MIGRATIONS_DIR = path.join(APP_ROOT, 'migrations');
