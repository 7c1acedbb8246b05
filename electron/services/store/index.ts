/** The SQLite store: open and migrate the database, and the repositories that own each table's SQL. */
export { openDatabase, Store } from './db.ts';
export type { OpenDatabaseOptions } from './db.ts';
export { migrate } from './migrate.ts';
export { checkSchemaVersion, latestVersion, readUserVersion } from './schemaVersion.ts';
export type { MigrateOptions, MigrateResult } from './migrate.ts';
export { loadMigrations } from './migrationFiles.ts';
export type { MigrationFile } from './migrationFiles.ts';
export { PackRepository } from './packs.ts';
export type { PackRepositoryOptions, PackSummary, SavePackInput, StoredPack } from './packs.ts';
export { RunRepository, RUN_KINDS, RUN_STATUSES, RESPONSE_BUCKETS } from './runs.ts';
export type { CreateRunInput, ListRunsFilter, ResponseBucket, RunArtifact, RunKind, RunMetric, RunRecord, RunRepositoryOptions, RunResponse, RunStatus, RunStep } from './runs.ts';
