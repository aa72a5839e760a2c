import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listedMigrations, listMigrationFiles } from './migrate.js';

describe('migrations', () => {
  it('lists every migration file in migrations/index.ts, in order', () => {
    expect(listedMigrations()).toEqual(listMigrationFiles());
  });

  it('has committed table types that match the migrated schema', () => {
    const root = resolve(import.meta.dirname, '../../..');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/scripts/db-types.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('up to date');
  }, 60_000);
});
