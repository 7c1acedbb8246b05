/**
 * The composition root: builds every service from one config. The Electron main process, the CLI
 * and the browser harness all call `createServices`, so they run the same code on the same store.
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import type { AppInfo } from '../contract/api.ts';
import { APP_ROOT, MIGRATIONS_DIR, RESOURCES_DIR, defaultDbPath } from './paths.ts';
import { openDatabase, PackRepository, RunRepository, type Store } from './store/index.ts';
import { ScenarioService } from './scenarios/service.ts';
import { JobRunner } from './jobs/jobs.ts';
import { EngineClient } from './engine/engineClient.ts';
import { ActivationsService } from './activations/activationsService.ts';
import { ActivationsJobs } from './activations/activationsJobs.ts';
import { nativeEngineAvailable } from './activations/nativeEngine.ts';
import { ExperimentService } from './experiments/service.ts';
import { ExperimentViews } from './experiments/views.ts';
import { TrainingService } from './training/trainingService.ts';
import { RlService } from './rl/service.ts';
import { RlJobs } from './rl/rlJobs.ts';
import { DemoModelService } from './demo/builder.ts';
import { DemoLoop } from './demo/demoLoop.ts';
import { ModelsService } from './models/modelsService.ts';
import { RlViews } from './rl/views.ts';

export interface ServicesConfig {
  /** SQLite file. Defaults to the app data folder's soo-lab.db (or SOO_LAB_DB). */
  dbPath?: string;
  /** Folder with scenarios/, demo-model/ ... Defaults to the repository's resources/. */
  resourcesDir?: string;
  /** Folder with the numbered SQL migrations. Defaults to the repository's migrations/. */
  migrationsDir?: string;
  /** The app version recorded with runs; defaults to package.json's. */
  version?: string;
  /** Where trained adapters go (<dataDir>/adapters); defaults to the database's folder. */
  dataDir?: string;
  /** The models folder (downloads go here); defaults to <dataDir>/models. */
  modelsDir?: string;
  /** Which demo build the app offers (demo.status / demo.build): 'full' (default) or 'quick' (tests; env SOO_LAB_DEMO_VARIANT). */
  demoVariant?: 'full' | 'quick';
}

export interface Services extends Disposable {
  readonly store: Store;
  readonly scenarios: ScenarioService;
  readonly jobs: JobRunner;
  readonly runs: RunRepository;
  /** The isolated engine process's client; the process starts on the first call. */
  readonly engine: EngineClient;
  readonly activations: ActivationsService;
  /** Latent SOO jobs, token counts, per-token views and exports (the Activations page, `soo-lab latent`). */
  readonly activationsJobs: ActivationsJobs;
  /** SOO LoRA training (the Train page, `soo-lab train`). */
  readonly training: TrainingService;
  /** The RL experiment (baselines, SOO fine-tuning, eval, report; `soo-lab rl`). Checkpoints go next to the database. */
  readonly rl: RlService;
  /** The same operations as jobs (progress and done events, cancel): what the RL page calls. */
  readonly rlJobs: RlJobs;
  /** The RL page's entries: multi-seed jobs, run list, report metrics with grids, episode traces. */
  readonly rlViews: RlViews;
  /** The model library, downloads and the GPU offload setting (the Models page). */
  readonly models: ModelsService;
  /** Experiments: baseline, SOO training over seeds, re-evaluation; resumable (`soo-lab experiment`). */
  readonly experiments: ExperimentService;
  /** The contract's experiments / runs / reports entries (jobs, views, exports). */
  readonly experimentViews: ExperimentViews;
  /** The built-in demo model: built from resources/demo/recipe.json, cached in <dataDir>/demo-model (`npm run demo-model`). */
  readonly demoModel: DemoModelService;
  /** The whole loop on the demo model (`soo-lab demo`), its build as a job and its ready experiment (the app's default). */
  readonly demo: DemoLoop;
  info(): AppInfo;
  /** Cancels jobs, asks the engine process to stop (without waiting) and closes the store. */
  dispose(): void;
  /** dispose(), then waits until the engine process has exited (the CLI, tests). */
  disposeAsync(): Promise<void>;
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
  const runs = new RunRepository(store.db);
  const engine = new EngineClient();
  const activations = new ActivationsService(engine);
  const version = config.version ?? appVersion();
  const activationsJobs = new ActivationsJobs({ activations, engine, scenarios, jobs, runs, appVersion: version });
  const training = new TrainingService({ engine, runs, jobs, activationsJobs, db: store.db, dataDir: config.dataDir ?? path.dirname(path.resolve(dbPath)), appVersion: version });
  const rl = new RlService({ runs, db: store.db, dataDir: path.dirname(path.resolve(dbPath)), appVersion: version });
  const rlJobs = new RlJobs(jobs, rl);
  const rlViews = new RlViews({ rl, jobs, runs, appVersion: version, dbFile: store.file });
  const models = new ModelsService({ db: store.db, jobs, modelsDir: config.modelsDir ?? path.join(config.dataDir ?? path.dirname(path.resolve(dbPath)), 'models') });
  models.gpu.apply();
  const experiments = new ExperimentService({ store, runs, scenarios, engine, activations, appVersion: version, resourcesDir });
  const dataDir = config.dataDir ?? path.dirname(path.resolve(dbPath));
  const demoModel = new DemoModelService({ engine, dataDir, resourcesDir });
  const demo = new DemoLoop({
    demoModel,
    experiments,
    jobs,
    dataDir,
    resourcesDir,
    defaultVariant: config.demoVariant ?? (process.env.SOO_LAB_DEMO_VARIANT === 'quick' ? 'quick' : 'full'),
    environment: () => ({ appVersion: version, platform: `${process.platform} ${process.arch}`, node: process.version, generatedAt: new Date().toISOString(), db: store.file }),
  });
  const experimentViews = new ExperimentViews({ experiments, runs, jobs, appVersion: version, dbFile: store.file });
  let disposed = false;
  let engineStopped: Promise<void> = Promise.resolve();
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    jobs.cancelAll();
    engineStopped = engine.dispose();
    store.dispose();
  };
  return {
    store,
    scenarios,
    jobs,
    runs,
    engine,
    activations,
    activationsJobs,
    training,
    rl,
    rlJobs,
    rlViews,
    models,
    experiments,
    experimentViews,
    demoModel,
    demo,
    info: () => ({
      version,
      dbPath,
      schemaVersion: store.schemaVersion,
      platform: process.platform,
      pages: ['models', ...(nativeEngineAvailable() ? (['scenarios', 'activations', 'train', 'experiments', 'runs'] as const) : (['scenarios', 'runs'] as const)), 'reports', 'rl'],
    }),
    dispose,
    disposeAsync: async () => {
      dispose();
      await engineStopped;
    },
    [Symbol.dispose]: dispose,
  };
}
