import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../src/core/db.js';
import { migrateToLatest } from '../src/core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer, systemBinaries } from '../src/core/postgres.js';
import { startTestServices, type TestServices } from './services/services.js';

export const TEMPLATE_DB = 'csme_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pg: { adminUrl: string; urlFor: string; template: string; flavour: string };
    services: TestServices['info'];
  }
}

/**
 * One PostgreSQL for the whole run (the embedded PostgreSQL 18, or the system's PostgreSQL 15 when
 * CSME_TEST_PG=15), a template database migrated once, and the IMAP, SMTP and CalDAV servers the
 * connector tests use. Each test file clones the template (see db.ts).
 */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'csme-test-'));
  allowTraverse(dir);
  const flavour = project.name.endsWith('-pg15') || process.env.CSME_TEST_PG === '15' ? 'postgresql-15' : 'embedded';
  const binaries = flavour === 'postgresql-15' ? systemBinaries(15) : await embeddedBinaries();
  const server = new PostgresServer({ binaries, dataDir: join(dir, 'pg'), port: await freePort(), password: 'test', durable: false });
  await server.initialise();
  await server.start();
  const admin = createDatabase({ url: server.url('postgres'), max: 1 });
  const { sql } = await import('kysely');
  await sql.raw(`create database ${TEMPLATE_DB}`).execute(admin.db);
  await admin.destroy();
  const template = createDatabase({ url: server.url(TEMPLATE_DB), max: 2 });
  await migrateToLatest(template.db, template.pool);
  await template.destroy();

  // The smoke subset needs no mail or calendar servers.
  const services = flavour === 'postgresql-15' ? null : await startTestServices(join(dir, 'services'));

  project.provide('pg', { adminUrl: server.url('postgres'), urlFor: server.url('__DB__'), template: TEMPLATE_DB, flavour });
  project.provide('services', services?.info ?? null!);

  return async () => {
    await services?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
