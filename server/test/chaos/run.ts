// `npm run chaos`: the fault suite in full. It starts its own PostgreSQL (two: one it restarts), the
// real Dovecot/SMTP/Radicale servers, and `csme serve --role worker` processes, then injects the
// faults of each scenario (scenarios.ts) from a seeded schedule and checks what must hold (checks.ts).
// Prints the seed first, a table of figures, and one JSON line; exits 1 on any breach.
//
//   npm run chaos                          # 1,000 runs under kill -9, and the other scenarios
//   npm run chaos -- --seed 42             # replay a schedule
//   npm run chaos -- --runs 200 --minutes 10 --only kill,freeze
//   npm run chaos -- --short               # the sizes `npm test` uses
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '../../src/core/db.js';
import { migrateToLatest } from '../../src/core/migrate.js';
import { allowTraverse, embeddedBinaries, freePort, PostgresServer } from '../../src/core/postgres.js';
import { startTestServices } from '../services/services.js';
import { headlineFigures } from './figures.js';
import { killStrayWorkers } from './fleet.js';
import {
  billingScenario,
  databaseScenario,
  freezeScenario,
  killScenario,
  networkScenario,
  type ScenarioResult,
  schedulerScenario,
  shutdownScenario,
} from './scenarios.js';
import { openWorld } from './world.js';

const SCENARIOS = ['billing', 'scheduler', 'kill', 'freeze', 'shutdown', 'network', 'database'] as const;
type Name = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    runs: { type: 'string' },
    minutes: { type: 'string' },
    only: { type: 'string' },
    short: { type: 'boolean', default: false },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 1_000_000);
if (!Number.isInteger(seed) || seed < 0) throw new Error('--seed must be a whole number');
const short = values.short === true;
const runs = Number(values.runs ?? (short ? 150 : 1000));
const minutes = Number(values.minutes ?? (short ? 8 : 45));
const only = new Set<Name>(values.only ? (values.only.split(',').map((s) => s.trim()) as Name[]) : SCENARIOS);
for (const n of only) if (!SCENARIOS.includes(n)) throw new Error(`--only: no scenario "${n}" (${SCENARIOS.join(', ')})`);

const say = (s = '') => process.stdout.write(`${s}\n`);
const started = Date.now();
const deadline = started + minutes * 60_000;
say(`chaos: seed ${seed} (replay with --seed ${seed}); ${runs} runs; at most ${minutes} minutes; scenarios ${[...only].join(', ')}`);

const dir = mkdtempSync(join(tmpdir(), 'csme-chaos-run-'));
allowTraverse(dir);
const binaries = await embeddedBinaries();
const pg = new PostgresServer({ binaries, dataDir: join(dir, 'pg'), port: await freePort(), password: 'chaos', durable: false });
await pg.initialise();
await pg.start();
const setup = createDatabase({ url: pg.url('postgres'), max: 2 });
await migrateToLatest(setup.db, setup.pool);
await setup.destroy();
const services = await startTestServices(join(dir, 'services'));
const world = await openWorld({ databaseUrl: pg.url('postgres'), services: services.info });
const results: ScenarioResult[] = [];
const log = (line: string) => say(`  ${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s ${line}`);

async function scenario(name: Name, fn: () => Promise<ScenarioResult>) {
  if (!only.has(name)) return;
  say(`\n▶ ${name}`);
  try {
    const r = await fn();
    results.push(r);
    say(`${r.breaches.length ? '✗' : '✓'} ${r.name} (${r.seconds} s)`);
    for (const b of r.breaches) say(`    breach: ${b}`);
  } catch (e) {
    results.push({ id: name, name, seed, seconds: 0, figures: {}, breaches: [`the scenario stopped: ${(e as Error).message}`] });
    say(`✗ ${name}: ${(e as Error).stack}`);
  }
  const strays = killStrayWorkers();
  if (strays) say(`  (${strays} worker processes of the scenario were still there: killed)`);
}

try {
  await scenario('billing', () => billingScenario(world, { seed, log, trials: short ? 30 : 100 }));
  await scenario('scheduler', () => schedulerScenario(world, { seed, log, seconds: short ? 20 : 120, backlogSeconds: short ? 60 : 600 }));
  await scenario('kill', () =>
    killScenario(world, {
      seed,
      log,
      runs,
      // Most of the budget: the other scenarios are bounded by their own sizes.
      deadline: Date.now() + Math.max(2 * 60_000, (deadline - Date.now()) * 0.6),
    }),
  );
  const small = Math.max(40, Math.round(runs / 8));
  await scenario('freeze', () => freezeScenario(world, { seed, log, runs: small, cycles: short ? 3 : 10 }));
  await scenario('shutdown', () => shutdownScenario(world, { seed, log, runs: small, stops: short ? 3 : 8 }));
  await scenario('network', () => networkScenario(world, { seed, log, runs: small, faults: short ? 6 : 30 }));
  await scenario('database', async () => {
    const pgDir = join(dir, 'pg-restarted');
    // Durable like production: it is killed as in a crash, and must come back with its data.
    const restarted = new PostgresServer({ binaries, dataDir: pgDir, port: await freePort(), password: 'chaos', durable: true });
    await restarted.initialise();
    await restarted.start();
    try {
      return await databaseScenario({
        seed,
        log,
        pg: restarted,
        services: services.info,
        restarts: short ? 3 : 8,
        runs: Math.max(40, Math.round(runs / 10)),
      });
    } finally {
      await restarted.stop();
    }
  });
} finally {
  await world.close();
  await services.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}

// The table: one column per scenario, one row per figure.
const breaches = results.flatMap((r) => r.breaches.map((b) => `${r.name}: ${b}`));
say(`\nchaos: seed ${seed}, ${((Date.now() - started) / 60_000).toFixed(1)} minutes, ${new Date().toISOString().slice(0, 10)}`);
for (const r of results) {
  say(`\n${r.name} (${r.seconds} s) ${r.breaches.length ? `— ${r.breaches.length} breaches` : '— holds'}`);
  const width = Math.max(...Object.keys(r.figures).map((k) => k.length), 10);
  for (const [k, v] of Object.entries(r.figures)) say(`  ${k.padEnd(width)}  ${String(v).padStart(8)}`);
}
const headline = headlineFigures(results);
say('\nheadline');
for (const h of [headline.faults, headline.billing]) {
  if (!h) continue;
  for (const [k, v] of Object.entries(h.figures)) say(`  ${v.toLocaleString('en-US').padStart(8)}  ${k}`);
}
say(
  `\n${JSON.stringify({
    chaos: { seed, runs, minutes, date: new Date().toISOString(), command: process.argv.slice(2).join(' ') },
    breaches: breaches.length,
    headline: {
      ...headline.faults.figures,
      ...Object.fromEntries(Object.entries(headline.billing?.figures ?? {}).map(([k, v]) => [`billing ${k}`, v])),
    },
    scenarios: Object.fromEntries(results.map((r) => [r.name, { seconds: r.seconds, breaches: r.breaches.length, ...r.figures }])),
  })}`,
);
say(breaches.length ? `chaos: ${breaches.length} breaches` : 'chaos: every must-hold held');
process.exit(breaches.length ? 1 : 0);
