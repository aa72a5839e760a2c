import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations as runWorkerMigrations, Logger as WorkerLogger } from 'graphile-worker';
import { type MigrationResultSet, Migrator } from 'kysely';
import type pg from 'pg';
import { migrations } from '../migrations/index.js';
import type { Db } from './db.js';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../migrations');

export interface MigrateResult {
  applied: string[];
}

/**
 * Brings the database to the latest schema: graphile-worker's own schema first (our migrations
 * reference its add_job), then ours. Safe to run from several processes at once: both take a lock.
 */
export async function migrateToLatest(db: Db, pool: pg.Pool): Promise<MigrateResult> {
  await runWorkerMigrations({ pgPool: pool, logger: silentWorkerLogger });
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return { applied: (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

/** Migration files in the folder (to check that index.ts lists each one). */
export function listMigrationFiles(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{8}T\d{4}_[a-z0-9_]+\.ts$/.test(f))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

export const listedMigrations = () => Object.keys(migrations).sort();

const silentWorkerLogger = new WorkerLogger(() => () => {});
