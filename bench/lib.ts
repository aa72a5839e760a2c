import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/core/config.js';
import { systemCtx } from '../server/src/core/ctx.js';
import { createDatabase } from '../server/src/core/db.js';
import { fromSources, generateKeysFile } from '../server/src/core/keys.js';
import { createLogger } from '../server/src/core/logger.js';
import { migrateToLatest } from '../server/src/core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer } from '../server/src/core/postgres.js';
import { buildDeps, type Deps } from '../server/src/deps.js';
import { syncBuiltinPacks } from '../server/src/modules/packs/index.js';
import { startWorker, type WorkerHandle } from '../server/src/worker.js';

/** What one benchmark reports: its figures, and each target with whether it was met. */
export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  targets: Array<{ metric: string; value: number; op: '<=' | '>='; limit: number; met: boolean }>;
  notes?: string[];
}

export interface Benchmark {
  name: string;
  description: string;
  run(b: BenchContext): Promise<BenchResult>;
}

export interface BenchContext {
  full: boolean;
  pg: PostgresServer;
  /** A fresh database of its own for one benchmark. */
  database(name: string): Promise<string>;
  soakMs: number;
}

export function target(metric: string, value: number, op: '<=' | '>=', limit: number) {
  return { metric, value: Math.round(value * 100) / 100, op, limit, met: op === '<=' ? value <= limit : value >= limit };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}

/** The embedded PostgreSQL with production durability: fsync and synchronous commit on. */
export async function startDurablePostgres(): Promise<{ pg: PostgresServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'csme-bench-'));
  allowTraverse(dir);
  const pg = new PostgresServer({
    binaries: await embeddedBinaries(),
    dataDir: join(dir, 'pg'),
    port: await freePort(),
    password: 'bench',
    durable: true,
    extraFlags: ['-c', 'shared_buffers=256MB', '-c', 'max_connections=400'],
  });
  await pg.initialise();
  await pg.start();
  return { pg, dir };
}

export async function createBenchDatabase(pg: PostgresServer, name: string): Promise<string> {
  const admin = createDatabase({ url: pg.url('postgres'), max: 1 });
  await sql.raw(`drop database if exists ${name}`).execute(admin.db);
  await sql.raw(`create database ${name}`).execute(admin.db);
  await admin.destroy();
  const url = pg.url(name);
  const d = createDatabase({ url, max: 2 });
  await migrateToLatest(d.db, d.pool);
  await d.destroy();
  return url;
}

export interface PlatformUnderTest {
  deps: Deps;
  app: FastifyInstance;
  baseUrl: string;
  worker: WorkerHandle | null;
  close(): Promise<void>;
}

/** The platform as `csme start` runs it (API + worker in one process, real clock), on the given database. */
export async function startPlatform(
  url: string,
  opts: { worker?: boolean; concurrency?: number; languageModel?: Deps['languageModel'] } = {},
): Promise<PlatformUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csme-bench-env-'));
  const config = loadConfig({ NODE_ENV: 'production', CSME_DATA_DIR: dataDir, LOG_LEVEL: 'error', CSME_DB_POOL_MAX: '40' });
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const deps = buildDeps({
    config,
    keys: fromSources({}, generateKeysFile()),
    databaseUrl: url,
    log: createLogger({ level: 'error', pretty: false, destination: quiet }),
    poolMax: 40,
    defaultMetrics: false,
    languageModel: opts.languageModel,
  });
  await syncBuiltinPacks(systemCtx(deps));
  const app = await buildApp(deps, { webDist: null });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  const worker =
    opts.worker === false ? null : await startWorker(deps, { databaseUrl: url, concurrency: opts.concurrency ?? 16, pollInterval: 1000 });
  return {
    deps,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    worker,
    async close() {
      await worker?.stop();
      await app.close();
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Fires `fn` at a fixed arrival rate (open loop: it does not wait for answers) for `ms`. */
export async function openLoop(
  ratePerSecond: number,
  ms: number,
  fn: (i: number) => Promise<unknown>,
): Promise<{ sent: number; errors: number }> {
  const interval = 1000 / ratePerSecond;
  const start = performance.now();
  let i = 0;
  let errors = 0;
  const inflight = new Set<Promise<unknown>>();
  while (performance.now() - start < ms) {
    const due = Math.floor((performance.now() - start) / interval) + 1;
    while (i < due) {
      const p = fn(i++).catch(() => {
        errors++;
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(interval, 5))));
  }
  await Promise.all([...inflight]);
  return { sent: i, errors };
}

export function printTable(results: BenchResult[]): void {
  const rows: string[][] = [['benchmark', 'figure', 'value', 'target', 'result']];
  for (const r of results) {
    for (const [k, v] of Object.entries(r.figures)) {
      const t = r.targets.find((x) => x.metric === k);
      rows.push([r.name, k, String(v), t ? `${t.op} ${t.limit}` : '', t ? (t.met ? 'met' : 'MISSED') : '']);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const [i, r] of rows.entries()) {
    console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
