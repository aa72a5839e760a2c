// `npm run bench`: every benchmark of the platform on this machine, against its own baselines measured in
// the same run. Starts what it needs (a durable embedded PostgreSQL; Dovecot for the mailbox sync), prints
// one table and one JSON line per benchmark, writes bench/results/latest.json, and exits 0 when every
// benchmark ran (missed targets are marked MISSED, they do not fail the command).
//
//   npm run bench                       reduced scales, about 15 minutes
//   npm run bench -- --full             the issue's full scales and durations (about an hour)
//   npm run bench -- --soak 2h          adds the soak at 50% of the maximum throughput for 2 hours
//   npm run bench -- --only throughput,http
//   npm run bench -- --profile          CPU profiles and pg_stat_statements into bench/results/
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stepOverhead, throughput, triggerToStart } from './engine.bench.js';
import { connectorSync, sandboxSoak, skillSpeed } from './external.bench.js';
import { footprint, soak } from './footprint.bench.js';
import { httpBench } from './http.bench.js';
import {
  type BenchContext,
  type Benchmark,
  type BenchResult,
  createBenchDatabase,
  machine,
  printTable,
  RESULTS_DIR,
  startDurablePostgres,
} from './lib.js';
import { priority } from './priority.bench.js';
import { scaleOut } from './scaleout.bench.js';
import { schedulerScale } from './scheduler.bench.js';

const ALL: Benchmark[] = [
  triggerToStart,
  throughput,
  stepOverhead,
  httpBench,
  priority,
  schedulerScale,
  footprint,
  soak,
  skillSpeed,
  connectorSync,
  sandboxSoak,
  scaleOut,
];

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`not a duration: ${s} (use 90s, 30m, 2h)`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const full = flag('full');
const soakMs = value('soak') ? parseDuration(value('soak')!) : 0;
const only = value('only')?.split(',');
const profile = flag('profile');
const selected = ALL.filter((b) => (only ? only.includes(b.name) : true));
if (only && selected.length !== only.length)
  throw new Error(`unknown benchmark in --only; choose from ${ALL.map((b) => b.name).join(', ')}`);

const started = new Date();
const log = (line: string) => process.stdout.write(`${line}\n`);
log(`connectsoft.me benchmarks, ${full ? 'full' : 'reduced'} scale${soakMs ? `, soak ${value('soak')}` : ''} — ${started.toISOString()}`);
log(`machine: ${JSON.stringify(machine())}`);

const { pg, dir } = await startDurablePostgres({ statements: profile });
const ctx: BenchContext = {
  full,
  pg,
  soakMs,
  profile,
  shared: {},
  log,
  database: (name) => createBenchDatabase(pg, name),
};
const results: BenchResult[] = [];
try {
  for (const b of selected) {
    log(`\n▶ ${b.name}: ${b.description}`);
    const t0 = Date.now();
    try {
      const r = await b.run(ctx);
      results.push(r);
    } catch (e) {
      log(`  ${b.name} could not finish: ${(e as Error).stack ?? e}`);
      results.push({ name: b.name, figures: {}, targets: [], error: (e as Error).message });
    }
    log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
} finally {
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}

const ended = new Date();
log(
  `\nResults (${full ? 'full' : 'reduced'} scale, ${((ended.getTime() - started.getTime()) / 60000).toFixed(1)} min, load after: ${machine().load.join(' ')})\n`,
);
printTable(results);
log('');
for (const r of results) log(JSON.stringify({ bench: r.name, ...r }));
const missed = results.flatMap((r) => r.targets.filter((t) => !t.met).map((t) => `${r.name}: ${t.metric}`));
const failed = results.filter((r) => r.error);
mkdirSync(RESULTS_DIR, { recursive: true });
writeFileSync(
  join(RESULTS_DIR, 'latest.json'),
  `${JSON.stringify(
    {
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
      scale: full ? 'full' : 'reduced',
      machine: machine(),
      postgres: { version: '18 (embedded)', fsync: 'on', synchronous_commit: 'on' },
      results,
      missed,
      failed: failed.map((r) => r.name),
    },
    null,
    2,
  )}\n`,
);
log(`\n${missed.length ? `MISSED ${missed.length} target(s): ${missed.join('; ')}` : 'Every target met.'}`);
if (failed.length) log(`Did not finish: ${failed.map((r) => r.name).join(', ')}`);
log(`Written: bench/results/latest.json`);
process.exit(failed.length ? 1 : 0);
