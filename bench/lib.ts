import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildApp } from '../server/src/app.js';
import type { Clock } from '../server/src/core/clock.js';
import { loadConfig } from '../server/src/core/config.js';
import { systemCtx } from '../server/src/core/ctx.js';
import { createDatabase } from '../server/src/core/db.js';
import { fromSources, generateKeysFile, type Keys } from '../server/src/core/keys.js';
import { createLogger } from '../server/src/core/logger.js';
import { migrateToLatest } from '../server/src/core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer } from '../server/src/core/postgres.js';
import { buildDeps, type Deps } from '../server/src/deps.js';
import { syncBuiltinPacks } from '../server/src/modules/packs/index.js';
import { startWorker, type WorkerHandle } from '../server/src/worker.js';
import { syncBenchPacks } from './fixtures.js';

/** What one benchmark reports: its figures, and each target with whether it was met. */
export interface BenchResult {
  name: string;
  figures: Record<string, number | string>;
  targets: Array<{ metric: string; value: number; op: '<=' | '>='; limit: number; met: boolean }>;
  notes?: string[];
  /** Set when the benchmark could not run to its end (the runner still goes on with the others). */
  error?: string;
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
  /** 0 unless `--soak <duration>` was given. */
  soakMs: number;
  /** `--profile`: CPU profiles and pg_stat_statements into bench/results/. */
  profile: boolean;
  /** Figures one benchmark leaves for the next (the maximum throughput, for the overload and the soak). */
  shared: Record<string, number>;
  log(line: string): void;
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

/**
 * The embedded PostgreSQL with production durability: fsync and synchronous commit on. With `statements`,
 * pg_stat_statements is loaded (for --profile; it costs a few per cent, so plain runs go without).
 */
export async function startDurablePostgres(o: { statements?: boolean } = {}): Promise<{ pg: PostgresServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'csme-bench-'));
  allowTraverse(dir);
  const pg = new PostgresServer({
    binaries: await embeddedBinaries(),
    dataDir: join(dir, 'pg'),
    port: await freePort(),
    password: 'bench',
    durable: true,
    extraFlags: [
      '-c',
      'shared_buffers=256MB',
      '-c',
      'max_connections=400',
      ...(o.statements ? ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all'] : []),
    ],
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
  port: number;
  readonly worker: WorkerHandle | null;
  startWorker(): Promise<WorkerHandle>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** Start the worker too (default), as `csme start` does. */
  worker?: boolean;
  concurrency?: number;
  languageModel?: Deps['languageModel'];
  clock?: Clock;
  port?: number;
  keys?: Keys;
  /** graphile-worker settings to compare (the production defaults otherwise). */
  localQueueSize?: number;
  completeJobBatchDelay?: number;
}

/**
 * The platform as `csme start` runs it (API + worker in one process, the worker's production settings),
 * on the given database. The benchmark packs are synced too.
 */
export async function startPlatform(url: string, opts: PlatformOptions = {}): Promise<PlatformUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csme-bench-env-'));
  const config = loadConfig({ NODE_ENV: 'production', CSME_DATA_DIR: dataDir, LOG_LEVEL: 'error' });
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const deps = buildDeps({
    config,
    keys: opts.keys ?? fromSources({}, generateKeysFile()),
    databaseUrl: url,
    log: createLogger({ level: 'error', pretty: false, destination: quiet }),
    defaultMetrics: false,
    languageModel: opts.languageModel,
    clock: opts.clock,
  });
  await syncBuiltinPacks(systemCtx(deps));
  await syncBenchPacks(deps);
  const app = await buildApp(deps, { webDist: null });
  const port = opts.port ?? (await freePort());
  await app.listen({ host: '127.0.0.1', port });
  let worker: WorkerHandle | null = null;
  const startW = async () => {
    worker ??= await startWorker(deps, {
      databaseUrl: url,
      concurrency: opts.concurrency ?? config.worker.concurrency,
      localQueueSize: opts.localQueueSize,
      completeJobBatchDelay: opts.completeJobBatchDelay,
    });
    return worker;
  };
  if (opts.worker !== false) await startW();
  return {
    deps,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    get worker() {
      return worker;
    },
    startWorker: startW,
    async stopWorker() {
      await worker?.stop();
      worker = null;
    },
    async close() {
      await worker?.stop();
      await app.close();
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function printTable(results: BenchResult[]): void {
  const rows: string[][] = [['benchmark', 'figure', 'value', 'target', 'result']];
  for (const r of results) {
    if (r.error) rows.push([r.name, 'DID NOT FINISH', r.error.slice(0, 80), '', 'MISSED']);
    for (const t of r.targets)
      if (!(t.metric in r.figures)) rows.push([r.name, t.metric, String(t.value), `${t.op} ${t.limit}`, t.met ? 'met' : 'MISSED']);
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

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Write transactions so far (the transaction id counter: only transactions that wrote take one). */
export async function writeTransactions(db: Deps['db']): Promise<number> {
  const r = await sql<{ x: string }>`select pg_snapshot_xmax(pg_current_snapshot())::text as x`.execute(db);
  return Number(r.rows[0]!.x);
}

/** Dead and live tuples of the hot tables. */
export async function tupleStats(db: Deps['db']) {
  const r = await sql<{ name: string; live: number; dead: number; autovacuums: number }>`
    select schemaname || '.' || relname as name, n_live_tup::int as live, n_dead_tup::int as dead, autovacuum_count::int as autovacuums
    from pg_stat_all_tables
    where (schemaname = 'graphile_worker' and relname = '_private_jobs')
       or (schemaname = 'public' and relname in ('agent_run', 'run_step', 'usage_counter', 'agent'))`.execute(db);
  return Object.fromEntries(r.rows.map((x) => [x.name, x]));
}

/** The machine, to print with every result: the figures mean little without it. */
export function machine() {
  const cpu = cpus();
  return {
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGiB: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    load: loadavg().map((x) => round(x, 2)),
  };
}

/**
 * Profiles this process's CPU while `fn` runs (node:inspector, the same data as --cpu-prof), writes
 * `bench/results/<name>.cpuprofile` and returns the functions with the most self time.
 */
export async function withCpuProfile<T>(
  name: string,
  fn: () => Promise<T>,
): Promise<{ result: T; top: Array<{ fn: string; selfPct: number }> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  let result: T;
  try {
    result = await fn();
  } finally {
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    session.disconnect();
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    lastProfile = profile;
  }
  return { result: result!, top: summariseProfile(lastProfile!) };
}
let lastProfile: CpuProfile | null = null;

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples?: number[];
}

/** Self time per function (file:line), top 25, as a share of all samples. */
export function summariseProfile(p: CpuProfile): Array<{ fn: string; selfPct: number }> {
  const by = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const file = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(server|bench)\//, '$1/');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${file}:${n.callFrame.lineNumber + 1}`;
    by.set(key, (by.get(key) ?? 0) + hits);
  }
  return [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([fn, hits]) => ({ fn, selfPct: round((100 * hits) / Math.max(1, total), 1) }));
}

export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/** CPU seconds used so far by every PostgreSQL process of this server (its postmaster and all backends). */
export function postgresCpuSeconds(pg: PostgresServer): number {
  const tck = 100; // USER_HZ on Linux
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      // The postmaster carries the port on its command line; its children are named "postgres: ...".
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const isPostmaster = cmd.includes(`-p\0${pg.port}\0`);
      const ppid = Number(fields[1]);
      if (!isPostmaster && !postmasters.has(ppid)) continue;
      if (isPostmaster) postmasters.add(Number(d));
      total += (Number(fields[11]) + Number(fields[12])) / tck;
    } catch {
      // gone
    }
  }
  return total;
}
const postmasters = new Set<number>();

/** CPU seconds used so far by these processes (and their children that are still alive). */
export function processCpuSeconds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone
    }
  }
  return total;
}
