import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestEnv } from '#test/harness.js';
import { createDatabase } from './core/db.js';
import { migrateToLatest } from './core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer } from './core/postgres.js';

describe('when PostgreSQL goes away while running', () => {
  it('answers 503 (never 500), fails /readyz, and recovers by itself when it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csme-test-down-'));
    allowTraverse(dir);
    const pg = new PostgresServer({
      binaries: await embeddedBinaries(),
      dataDir: join(dir, 'pg'),
      port: await freePort(),
      password: 'x',
      durable: true,
    }); // it is killed below, as in a crash
    await pg.initialise();
    await pg.start();
    const setup = createDatabase({ url: pg.url('postgres'), max: 2 });
    await migrateToLatest(setup.db, setup.pool);
    await setup.destroy();
    const env = await createTestEnv({ databaseUrl: pg.url('postgres') });
    try {
      const app = await env.app();
      expect((await app.inject({ url: '/api/v1/plans' })).statusCode).toBe(200);

      await pg.kill();
      const ready = await app.inject({ url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      const api = await app.inject({ url: '/api/v1/plans' });
      expect(api.statusCode).toBe(503);
      expect(api.json().error.code).toBe('unavailable');
      const signIn = await app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { email: 'a@b.co', password: 'whatever' } });
      expect(signIn.statusCode).toBe(503);

      await pg.start();
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect((await app.inject({ url: '/api/v1/plans' })).statusCode).toBe(200);
      await sql`select 1`.execute(env.deps.db);
    } finally {
      await env.close();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
