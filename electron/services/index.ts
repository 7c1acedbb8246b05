/**
 * The composition root: builds every service from one config. The Electron main process, the CLI
 * and the browser harness all call `createServices`, so they run the same code on the same store.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { AppInfo } from '../contract/api.ts';
import { APP_ROOT, MIGRATIONS_DIR, RESOURCES_DIR, defaultDbPath } from './paths.ts';
import { openDatabase, PackRepository, type Store } from './store/index.ts';
import { ScenarioService } from './scenarios/service.ts';
import { JobRunner } from './jobs/jobs.ts';

export interface ServicesConfig {
  /** SQLite file. Defaults to the app data folder's soo-lab.db (or SOO_LAB_DB). */
  dbPath?: string;
  /** Folder with scenarios/, demo-model/ ... Defaults to the repository's resources/. */
  resourcesDir?: string;
  /** Folder with the numbered SQL migrations. Defaults to the repository's migrations/. */
  migrationsDir?: string;
  /** The app version recorded with runs; defaults to package.json's. */
  version?: string;
}

export interface Services extends Disposable {
  readonly store: Store;
  readonly scenarios: ScenarioService;
  readonly jobs: JobRunner;
  info(): AppInfo;
  dispose(): void;
}

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function createServices(config: ServicesConfig = {}): Services {
  const dbPath = config.dbPath ?? defaultDbPath();
  const resourcesDir = config.resourcesDir ?? RESOURCES_DIR;
  const store = openDatabase(dbPath, { migrationsDir: config.migrationsDir ?? MIGRATIONS_DIR });
  const scenarios = new ScenarioService({
    packs: new PackRepository(store.db),
    builtinDir: path.join(resourcesDir, 'scenarios'),
  });
  const jobs = new JobRunner();
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    jobs.cancelAll();
    store.dispose();
  };
  return {
    store,
    scenarios,
    jobs,
    info: () => ({
      version: config.version ?? appVersion(),
      dbPath,
      schemaVersion: store.schemaVersion,
      platform: process.platform,
      pages: ['scenarios'],
    }),
    dispose,
    [Symbol.dispose]: dispose,
  };
}
