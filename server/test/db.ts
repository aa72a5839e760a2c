import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A fresh database for one test file, cloned from the migrated template (fast: no migrations per file). */
export async function createTestDatabaseUrl(): Promise<string> {
  const info = inject('pg');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: info.adminUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    // Cloning needs the template to have no other connections; files clone one at a time.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`create database ${name} template ${info.template}`);
        break;
      } catch (e) {
        if (attempt > 50 || !/being accessed by other users/.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await client.end();
  }
  return info.urlFor.replace('__DB__', name);
}

export const pgFlavour = () => inject('pg').flavour;
