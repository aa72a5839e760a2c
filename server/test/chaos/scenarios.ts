import * as R from '@csme/contracts/runs';
import { sql } from 'kysely';
import { systemCtx } from '../../src/core/ctx.js';
import { createDatabase } from '../../src/core/db.js';
import { egressSetting } from '../../src/core/egress.js';
import { CRASH_POINTS, type CrashPoint } from '../../src/core/faults.js';
import { migrateToLatest } from '../../src/core/migrate.js';
import type { PostgresServer } from '../../src/core/postgres.js';
import { nextFireTime } from '../../src/modules/agents/index.js';
import { admitRun } from '../../src/modules/runs/index.js';
import { eventually } from '../harness.js';
import type { TestServices } from '../services/services.js';
import { checkChain, checkEffects, checkQuota, EffectsLedger, type Figures, settled, terminalRuns } from './checks.js';
import {
  type CrashPlan,
  describeFleet,
  describeJobs,
  Fleet,
  isFrozen,
  jobsLockedBy,
  lastWords,
  type WorkerProc,
  workerIdsOf,
} from './fleet.js';
import { FaultProxy } from './proxy.js';
import { newPerson, openWorld, rng, type World } from './world.js';

/**
 * The fault suite's scenarios. Each takes a seed: every fault it injects (which worker, when, at which
 * boundary, for how long) is drawn from a generator seeded with it, so a failing schedule can be run
 * again; the operating system still decides the exact interleaving of the processes.
 */

export interface ScenarioResult {
  /** Which scenario: billing, scheduler, kill, freeze, shutdown or database. */
  id: string;
  name: string;
  seed: number;
  seconds: number;
  figures: Figures;
  breaches: string[];
}

export interface ScenarioOptions {
  seed: number;
  log?: (line: string) => void;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

/** A worker's jobs after it died: how long until none is still locked by it (released to the others). */
async function releaseLatency(world: World, w: WorkerProc, ids: string[] | null): Promise<number | null> {
  if (!ids?.length) return null;
  const held = await jobsLockedBy(world, ids);
  if (!held.length) return 0;
  const died = w.exit?.at ?? Date.now();
  await eventually(
    async () => (await jobsLockedBy(world, ids)).length === 0,
    `the jobs of dead worker ${w.pid} to be released`,
    120_000,
    50,
  );
  return Date.now() - died;
}

/** Adds runs while fewer than `cap` are unfinished, so that faults keep landing on work in progress. */
async function pace(world: World, ledger: EffectsLedger, total: number, cap: number): Promise<void> {
  const left = total - ledger.admitted.size - ledger.refused;
  if (left <= 0) return;
  const done = await terminalRuns(world, ledger.person.spaceId);
  const open = ledger.admitted.size - done;
  if (open < cap) await ledger.admit(world, Math.min(left, cap - open, 10));
}

async function drain(world: World, spaceId: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await eventually(() => settled(world, spaceId), 'every run and action to reach an end', timeoutMs, 250).catch(() => undefined);
  return Date.now() - t0;
}

// ---------------------------------------------------------------- 1. kill -9 at random points and at every boundary

/** How often each crash point passes in one run of the chaos-effects agent (4 steps, 3 actions). */
const PER_RUN: Record<CrashPoint, number> = {
  'run.claimed': 1,
  'run.step-recorded': 4,
  'run.action-proposed': 3,
  'run.finished': 1,
  'action.claimed': 3,
  'action.performed': 3,
  'action.finished': 3,
};

export async function killScenario(
  world: World,
  o: ScenarioOptions & { runs: number; deadline: number; minWorkers?: number; maxWorkers?: number; meanLife?: number },
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x1);
  const minW = o.minWorkers ?? 2;
  const maxW = o.maxWorkers ?? 4;
  const person = await newPerson(world, ['chaos-effects']);
  const ledger = new EffectsLedger(person, 'k');
  const fleet = new Fleet(world, { concurrency: 4 });
  let nextPoint = 0;
  // A worker with a crash point dies within its first `meanLife` runs (uniformly): short enough that many
  // die, long enough that work gets done between the restarts (a worker takes seconds to start here).
  const meanLife = o.meanLife ?? 6;
  // Every boundary gets its turn (round robin) before any gets a second; some workers die only at random.
  const spawn = (faults: boolean) => {
    let crash: CrashPlan | null = null;
    if (faults && (nextPoint < CRASH_POINTS.length || r.chance(0.8))) {
      const point = CRASH_POINTS[nextPoint++ % CRASH_POINTS.length]!;
      crash = { points: [point], mode: 'kill', after: 1 + Math.floor(r.next() * meanLife * PER_RUN[point]) };
    }
    return fleet.spawn(crash);
  };
  let target = r.int(minW, maxW);
  for (let i = 0; i < target; i++) spawn(true);
  const releases: number[] = [];
  const tracking: Promise<void>[] = [];
  let externalKills = 0;
  let nextKill = Date.now() + r.int(4_000, 12_000);
  let nextResize = Date.now() + r.int(8_000, 20_000);
  const seen = new Set<WorkerProc>();
  let faults = true;
  let lastLog = 0;
  while (faults) {
    const now = Date.now();
    // Record each death once, and measure how fast the others take its jobs over.
    for (const w of fleet.all) {
      if (w.exit && !seen.has(w)) {
        seen.add(w);
        tracking.push(
          (async () => {
            const ids = await workerIdsOf(world, w.pid);
            const ms = await releaseLatency(world, w, ids).catch(() => null);
            if (ms !== null) releases.push(ms);
          })(),
        );
      }
    }
    const live = fleet.live();
    if (live.length < target) spawn(true);
    if (now >= nextResize) {
      target = r.int(minW, maxW);
      nextResize = now + r.int(8_000, 20_000);
    }
    if (now >= nextKill) {
      const ready = live.filter((w) => w.readyAt !== null);
      // Keep one worker alive so the run keeps moving; the rest are fair game.
      if (ready.length > 1) {
        fleet.signal(r.pick(ready), 'SIGKILL');
        externalKills++;
      }
      nextKill = now + r.int(4_000, 12_000);
    }
    await pace(world, ledger, o.runs, 12 * Math.max(1, live.length));
    const done = await terminalRuns(world, person.spaceId);
    const admittedAll = ledger.admitted.size + ledger.refused >= o.runs;
    // Faults continue until nearly every run is through (or time is up), then the fleet drains clean.
    if ((admittedAll && done >= ledger.admitted.size * 0.97) || Date.now() > o.deadline) faults = false;
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      o.log?.(
        `[kill] ${done}/${ledger.admitted.size} runs done of ${o.runs}; ${fleet.all.length - fleet.live().length} workers ended, ${live.length} live`,
      );
    }
    await pause(100);
  }
  // The drain: workers without crash points; the ones still carrying one are stopped gracefully.
  for (const w of fleet.live()) if (w.crash) fleet.signal(w, 'SIGTERM');
  while (fleet.live().filter((w) => !w.crash).length < 2) spawn(false);
  const drainMs = await drain(world, person.spaceId, 180_000 + o.runs * 200);
  await fleet.stopAll();
  await Promise.all(tracking);
  const checked = await checkEffects(world, ledger);
  const byPoint: Record<string, number> = {};
  for (const w of fleet.all) if (w.crashedAt) byPoint[w.crashedAt] = (byPoint[w.crashedAt] ?? 0) + 1;
  const selfKills = Object.values(byPoint).reduce((a, b) => a + b, 0);
  const breaches = [...checked.breaches];
  for (const p of CRASH_POINTS)
    if (!byPoint[p] && o.runs >= 100) breaches.push(`no worker was killed at the ${p} boundary (the schedule did not reach it)`);
  return {
    id: 'kill',
    name: 'kill -9 of workers',
    seed: o.seed,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: {
      workersStarted: fleet.all.length,
      kills: selfKills + externalKills,
      killsAtBoundaries: selfKills,
      killsAtRandom: externalKills,
      ...Object.fromEntries(CRASH_POINTS.map((p) => [`kills@${p}`, byPoint[p] ?? 0])),
      jobsReleasedP50Ms: pct(releases, 50),
      jobsReleasedP99Ms: pct(releases, 99),
      drainSeconds: Math.round(drainMs / 1000),
      ...checked.figures,
    },
    breaches,
  };
}

// ---------------------------------------------------------------- 2. a worker frozen past its lease, then resumed

/**
 * The boundaries a frozen worker is stopped at: inside actions first, where a second effect would hurt
 * (the side effect done and not yet recorded first of all).
 */
const FREEZE_POINTS: CrashPoint[] = ['action.performed', 'action.claimed', 'run.step-recorded', 'run.action-proposed', 'run.claimed'];

export async function freezeScenario(world: World, o: ScenarioOptions & { runs: number; cycles: number }): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x2);
  const person = await newPerson(world, ['chaos-effects']);
  const ledger = new EffectsLedger(person, 'f');
  const fleet = new Fleet(world, { concurrency: 4 });
  fleet.spawn();
  fleet.spawn();
  const breaches: string[] = [];
  const takeovers: number[] = [];
  let frozen = 0;
  let heldJobs = 0;
  let rejoined = 0;
  const perCycle = Math.max(4, Math.floor(o.runs / o.cycles));
  for (let c = 0; c < o.cycles; c++) {
    const point = FREEZE_POINTS[c % FREEZE_POINTS.length]!;
    const w = fleet.spawn({ points: [point], mode: 'freeze', after: r.int(1, 4) });
    const target = Math.min(o.runs, (c + 1) * perCycle);
    // Work keeps coming until the worker reaches its boundary, however many runs that takes: the others
    // may take every job before it gets one, so the work starts only once it is ready.
    await w.ready;
    await eventually(
      async () => {
        await pace(world, ledger, Number.POSITIVE_INFINITY, 12);
        return w.exit !== null || isFrozen(w.pid);
      },
      `the worker to freeze itself at ${point}`,
      180_000,
      200,
    );
    if (w.exit) {
      breaches.push(`the worker meant to freeze at ${point} exited instead (${w.exit.code ?? w.exit.signal}): ${w.stderr.at(-1)}`);
      continue;
    }
    frozen++;
    const ids = (await workerIdsOf(world, w.pid)) ?? [];
    const held = await jobsLockedBy(world, ids);
    heldJobs += held.length;
    const stoppedAt = Date.now();
    o.log?.(`[freeze] worker ${w.pid} frozen at ${point} holding ${held.length} jobs`);
    // Past its lease: the others notice the silence, release its jobs and finish them.
    await eventually(
      async () => {
        await pace(world, ledger, target, 16);
        return (await jobsLockedBy(world, ids)).length === 0;
      },
      'the frozen worker’s jobs to be taken over',
      120_000,
      100,
    );
    takeovers.push(Date.now() - stoppedAt);
    const heldIds = held.map((j) => j.id);
    await eventually(
      async () => {
        const r2 = await sql<{
          n: number;
        }>`select count(*)::int as n from graphile_worker._private_jobs where id = any(${heldIds}::bigint[])`.execute(world.deps.db);
        return r2.rows[0]!.n === 0;
      },
      'the taken-over jobs to finish elsewhere',
      120_000,
      200,
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${await describeJobs(world, heldIds)}; ${await describeFleet(world, fleet)}`);
    });
    // What the others recorded for the runs and actions it held; once it wakes, none of it may change.
    const before = await heldRecords(world, held);
    // It wakes up: it must notice nothing it did is still its own, and do no side effect twice.
    fleet.signal(w, 'SIGCONT');
    await eventually(async () => (await workerIdsOf(world, w.pid)) !== null, 'the resumed worker to register again', 30_000, 100)
      .then(() => rejoined++)
      .catch(() => breaches.push(`worker ${w.pid} did not register again after it was resumed`));
    await pause(r.int(500, 2_000));
    fleet.signal(w, 'SIGTERM');
    await w.exited;
    const after = await heldRecords(world, held);
    for (const [id, was] of before) {
      const now = after.get(id);
      // An action left `unknown` may still become `done` (the woken worker did send it, once); nothing else may change.
      if (now !== was && !(was.startsWith('unknown') && now?.startsWith('done')))
        breaches.push(`the woken worker rewrote ${id}: ${was} became ${now}`);
    }
  }
  while (ledger.admitted.size + ledger.refused < o.runs) await pace(world, ledger, o.runs, 16).then(() => pause(200));
  const drainMs = await drain(world, person.spaceId, 180_000);
  await fleet.stopAll();
  const checked = await checkEffects(world, ledger);
  return {
    id: 'freeze',
    name: 'worker frozen past its lease',
    seed: o.seed,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: {
      freezes: frozen,
      jobsHeldWhenFrozen: heldJobs,
      takeoverP50Ms: pct(takeovers, 50),
      takeoverMaxMs: pct(takeovers, 100),
      resumedAndRejoined: rejoined,
      drainSeconds: Math.round(drainMs / 1000),
      ...checked.figures,
    },
    breaches: [...breaches, ...checked.breaches],
  };
}

/** The recorded outcome of the runs and actions some jobs are for, as comparable strings. */
async function heldRecords(world: World, jobs: Array<{ task: string; payload: Record<string, string> }>): Promise<Map<string, string>> {
  const runIds = jobs.filter((j) => j.task === 'runs.execute-run').map((j) => j.payload.runId!);
  const actionIds = jobs.filter((j) => j.task === 'suggestions.execute-action').map((j) => j.payload.suggestionId!);
  const out = new Map<string, string>();
  if (runIds.length) {
    const r = await sql<{ id: string; v: string }>`
      select id, concat_ws(' ', status, attempts, step_count, finished_at) as v from agent_run where id = any(${runIds}::uuid[])`.execute(
      world.deps.db,
    );
    for (const x of r.rows) out.set(`run ${x.id}`, x.v);
  }
  if (actionIds.length) {
    const r = await sql<{ id: string; v: string }>`
      select id, concat_ws(' ', status, executed_at) as v from suggestion where id = any(${actionIds}::uuid[])`.execute(world.deps.db);
    for (const x of r.rows) out.set(`action ${x.id}`, x.v);
  }
  return out;
}

// ---------------------------------------------------------------- 3. PostgreSQL restarted under load

export async function databaseScenario(
  o: ScenarioOptions & { pg: PostgresServer; services: TestServices['info']; restarts: number; runs: number },
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x3);
  const setup = createDatabase({ url: o.pg.url('postgres'), max: 2 });
  await migrateToLatest(setup.db, setup.pool);
  await setup.destroy();
  const world = await openWorld({ databaseUrl: o.pg.url('postgres'), services: o.services });
  const breaches: string[] = [];
  const fleet = new Fleet(world, { concurrency: 4 });
  try {
    const person = await newPerson(world, ['chaos-effects']);
    const ledger = new EffectsLedger(person, 'd');
    const app = await world.app();
    const workers = [fleet.spawn(), fleet.spawn()];
    await Promise.all(workers.map((w) => w.ready));
    const statuses: Record<string, number> = {};
    let slowest = 0;
    let probing = true;
    let down = false;
    // A person keeps using the API throughout: reads, and "run now" (which admits a run through the quota).
    const probe = (async () => {
      while (probing) {
        const calls = [
          { name: 'readyz', go: () => app.inject({ url: '/readyz' }) },
          { name: 'plans', go: () => app.inject({ url: '/api/v1/plans' }) },
          { name: 'runs', go: () => person.client.call(R.listRuns, { query: { limit: 5 } }) },
        ];
        for (const c of calls) {
          const s = Date.now();
          const res = await c.go();
          const code = 'statusCode' in res ? res.statusCode : res.status;
          slowest = Math.max(slowest, Date.now() - s);
          statuses[`${code}`] = (statuses[`${code}`] ?? 0) + 1;
          if (code >= 500 && code !== 503) breaches.push(`${c.name} answered ${code} while the database was ${down ? 'away' : 'up'}`);
          if (code === 503 && 'headers' in res && !res.headers['retry-after'] && c.name !== 'readyz')
            breaches.push(`${c.name} answered 503 without Retry-After`);
        }
        await pause(100);
      }
    })();
    const admitOne = async () => {
      const { tag, data } = ledger.next();
      const res = await person.client.call(R.runAgentNow, { params: { agentId: person.agents.effects! }, body: { input: data } });
      if (res.status === 202) ledger.admitted.set(res.body.id, tag);
      else if (res.status === 503) ledger.unconfirmed++;
      else breaches.push(`run now answered ${res.status} ${res.error?.code}: ${res.error?.message}`);
    };
    let admitting = true;
    const perSecond = 4;
    const admitter = (async () => {
      while (admitting && ledger.admitted.size < o.runs) {
        await Promise.all(Array.from({ length: perSecond }, admitOne));
        await pause(1000);
      }
    })();
    const apiRecovery: number[] = [];
    const workRecovery: number[] = [];
    const modes: Record<string, number> = {};
    for (let i = 0; i < o.restarts; i++) {
      await pause(r.int(1_500, 4_000));
      const mode = r.pick(['stop', 'kill'] as const);
      modes[mode] = (modes[mode] ?? 0) + 1;
      down = true;
      if (mode === 'stop') await o.pg.stop();
      else await o.pg.kill();
      o.log?.(`[database] ${mode} #${i + 1}`);
      await pause(r.int(1_000, 5_000));
      await o.pg.start();
      const back = Date.now();
      await eventually(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 'the API to be ready again', 60_000, 50);
      apiRecovery.push(Date.now() - back);
      down = false;
      // The workers are back when a run admitted now finishes.
      const { tag, data } = ledger.next();
      const a = await admitRun(systemCtx(world.deps), {
        spaceId: person.spaceId,
        agentId: person.agents.effects!,
        kind: 'manual',
        key: `chaos:${tag}`,
        data,
      });
      if (a.status === 'queued') ledger.admitted.set(a.runId, tag);
      await eventually(
        async () => {
          const s = await sql<{ status: string }>`select status from agent_run where id = ${a.runId}`.execute(world.deps.db);
          return s.rows[0]?.status === 'succeeded';
        },
        'a run admitted after the restart to finish',
        120_000,
        100,
      ).catch(() => breaches.push(`after restart #${i + 1} a new run did not finish within 2 minutes`));
      workRecovery.push(Date.now() - back);
    }
    admitting = false;
    await admitter;
    probing = false;
    await probe;
    const drainMs = await drain(world, person.spaceId, 180_000);
    for (const w of fleet.all)
      if (w.exit) breaches.push(`worker ${w.pid} exited (${w.exit.code ?? w.exit.signal}) during the restarts: ${lastWords(w)}`);
    await fleet.stopAll();
    const checked = await checkEffects(world, ledger);
    if (slowest > 20_000) breaches.push(`an API call took ${slowest} ms (it should answer 503 at once, not hang)`);
    return {
      id: 'database',
      name: 'PostgreSQL restarted under load',
      seed: o.seed,
      seconds: Math.round((Date.now() - t0) / 1000),
      figures: {
        restarts: o.restarts,
        ...Object.fromEntries(Object.entries(modes).map(([k, v]) => [`restarts:${k}`, v])),
        ...Object.fromEntries(Object.entries(statuses).map(([k, v]) => [`api:${k}`, v])),
        api5xxNot503: Object.entries(statuses)
          .filter(([k]) => Number(k) >= 500 && k !== '503')
          .reduce((a, [, v]) => a + v, 0),
        slowestApiMs: slowest,
        apiRecoveryMaxMs: pct(apiRecovery, 100),
        workerRecoveryMaxMs: pct(workRecovery, 100),
        workerProcessRestarts: fleet.all.filter((w) => w.exit && w.exit.at < Date.now() - 1).length - workers.length,
        admissionsUnconfirmed: ledger.unconfirmed,
        drainSeconds: Math.round(drainMs / 1000),
        ...checked.figures,
      },
      breaches: [...breaches, ...checked.breaches],
    };
  } finally {
    fleet.killAll();
    await world.close();
  }
}

// ---------------------------------------------------------------- 4. graceful shutdown during runs

export async function shutdownScenario(world: World, o: ScenarioOptions & { runs: number; stops: number }): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x4);
  const person = await newPerson(world, ['chaos-effects']);
  const ledger = new EffectsLedger(person, 's');
  const fleet = new Fleet(world, { concurrency: 4 });
  for (let i = 0; i < 3; i++) fleet.spawn();
  await Promise.all(fleet.live().map((w) => w.ready));
  const breaches: string[] = [];
  const stopTimes: number[] = [];
  let heldAtStop = 0;
  const perStop = Math.max(4, Math.floor(o.runs / o.stops));
  for (let i = 0; i < o.stops; i++) {
    const target = Math.min(o.runs, (i + 1) * perStop);
    const until = Date.now() + r.int(1_500, 5_000);
    while (Date.now() < until) {
      await pace(world, ledger, target, 24);
      await pause(100);
    }
    // The replacement of the previous one may still be starting: stop one that runs.
    await eventually(async () => fleet.live().some((x) => x.readyAt !== null), 'a worker to be running', 120_000, 100);
    const w = r.pick(fleet.live().filter((x) => x.readyAt !== null));
    const ids = (await workerIdsOf(world, w.pid)) ?? [];
    heldAtStop += (await jobsLockedBy(world, ids)).length;
    const s = Date.now();
    fleet.signal(w, 'SIGTERM');
    fleet.spawn();
    const exited = await Promise.race([w.exited.then(() => true), pause(60_000).then(() => false)]);
    if (!exited) {
      breaches.push(`worker ${w.pid} did not stop within 60 s of SIGTERM`);
      fleet.signal(w, 'SIGKILL');
      await w.exited;
    }
    stopTimes.push(Date.now() - s);
    if (w.exit?.code !== 0) breaches.push(`worker ${w.pid} ended with ${w.exit?.code ?? w.exit?.signal} after SIGTERM, not 0`);
    const left = await jobsLockedBy(world, ids);
    if (left.length) breaches.push(`worker ${w.pid} stopped but left ${left.length} jobs locked (${left.map((j) => j.task).join(', ')})`);
    o.log?.(`[shutdown] worker ${w.pid} stopped in ${Date.now() - s} ms`);
  }
  while (ledger.admitted.size + ledger.refused < o.runs) await pace(world, ledger, o.runs, 24).then(() => pause(200));
  const drainMs = await drain(world, person.spaceId, 180_000);
  await fleet.stopAll();
  const checked = await checkEffects(world, ledger);
  return {
    id: 'shutdown',
    name: 'graceful shutdown during runs',
    seed: o.seed,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: {
      sigterms: o.stops,
      jobsInFlightAtStop: heldAtStop,
      stopP50Ms: pct(stopTimes, 50),
      stopMaxMs: pct(stopTimes, 100),
      drainSeconds: Math.round(drainMs / 1000),
      ...checked.figures,
    },
    breaches: [...breaches, ...checked.breaches],
  };
}

// ---------------------------------------------------------------- 4b. network faults during runs and actions

const NETWORK_FAULTS = ['pg-reset', 'pg-slow', 'pg-stall', 'smtp-reset', 'smtp-stall', 'caldav-reset', 'caldav-stall'] as const;

/**
 * The workers reach PostgreSQL, and the person's connectors reach the SMTP and CalDAV servers, through
 * proxies that cut every connection, add latency, or carry nothing for seconds (a partition that heals),
 * at seeded moments while runs and their actions are in flight.
 */
export async function networkScenario(world: World, o: ScenarioOptions & { runs: number; faults: number }): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x7);
  const db = new URL(world.databaseUrl);
  const pgProxy = new FaultProxy({ host: db.hostname, port: Number(db.port) });
  const smtpProxy = new FaultProxy({ host: world.services.smtp.host, port: world.services.smtp.port });
  const davProxy = new FaultProxy({ host: '127.0.0.1', port: Number(new URL(world.services.caldav.url).port) });
  const proxies = { pg: pgProxy, smtp: smtpProxy, caldav: davProxy };
  await Promise.all(Object.values(proxies).map((p) => p.start()));
  const allowed = await world.deps.settings.get(egressSetting);
  await world.deps.settings.set(
    world.deps.db,
    egressSetting,
    { allow: [...allowed.allow, { host: '127.0.0.1', port: smtpProxy.port }, { host: '127.0.0.1', port: davProxy.port }] },
    null,
  );
  const viaProxy = new URL(world.databaseUrl);
  viaProxy.port = String(pgProxy.port);
  const fleet = new Fleet(world, { concurrency: 4, env: { DATABASE_URL: viaProxy.toString() } });
  const breaches: string[] = [];
  const injected: Record<string, number> = {};
  try {
    const person = await newPerson(world, ['chaos-effects'], { smtpPort: smtpProxy.port, caldavPort: davProxy.port });
    const ledger = new EffectsLedger(person, 'n');
    fleet.spawn();
    fleet.spawn();
    await Promise.all(fleet.live().map((w) => w.ready));
    for (let i = 0; i < o.faults; i++) {
      const until = Date.now() + r.int(1_500, 4_000);
      while (Date.now() < until) {
        await pace(world, ledger, o.runs, 12);
        await pause(100);
      }
      const fault = r.pick(NETWORK_FAULTS);
      injected[fault] = (injected[fault] ?? 0) + 1;
      const [target, kind] = fault.split('-') as [keyof typeof proxies, 'reset' | 'slow' | 'stall'];
      const proxy = proxies[target];
      if (kind === 'reset') o.log?.(`[network] ${fault}: cut ${proxy.resetAll()} sockets`);
      else {
        const ms = r.int(1_000, 6_000);
        if (kind === 'slow') proxy.slow(r.int(100, 600));
        else proxy.stall();
        o.log?.(`[network] ${fault} for ${ms} ms`);
        const end = Date.now() + ms;
        while (Date.now() < end) {
          await pace(world, ledger, o.runs, 12);
          await pause(100);
        }
        proxy.restore();
      }
    }
    while (ledger.admitted.size + ledger.refused < o.runs) await pace(world, ledger, o.runs, 12).then(() => pause(200));
    const drainMs = await drain(world, person.spaceId, 180_000);
    for (const w of fleet.all)
      if (w.exit) breaches.push(`worker ${w.pid} exited (${w.exit.code ?? w.exit.signal}) during the network faults: ${lastWords(w)}`);
    await fleet.stopAll();
    const checked = await checkEffects(world, ledger);
    return {
      id: 'network',
      name: 'network faults during runs and actions',
      seed: o.seed,
      seconds: Math.round((Date.now() - t0) / 1000),
      figures: {
        networkFaults: o.faults,
        ...Object.fromEntries(Object.entries(injected).map(([k, v]) => [`faults:${k}`, v])),
        socketsCut: pgProxy.resets + smtpProxy.resets + davProxy.resets,
        drainSeconds: Math.round(drainMs / 1000),
        ...checked.figures,
      },
      breaches: [...breaches, ...checked.breaches],
    };
  } finally {
    fleet.killAll();
    await Promise.all(Object.values(proxies).map((p) => p.close()));
  }
}

// ---------------------------------------------------------------- 5. the scheduler in three processes

export async function schedulerScenario(
  world: World,
  o: ScenarioOptions & { seconds: number; backlogSeconds: number; processes?: number },
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x5);
  const person = await newPerson(world, ['chaos-ticker']);
  const agentId = person.agents.tick!;
  const schedule = { cron: '*/2 * * * * *', timeZone: 'UTC' };
  // A backlog first (the platform was down for a while), then live slots every two seconds.
  const first = nextFireTime(schedule, new Date(Date.now() - o.backlogSeconds * 1000))!;
  await sql`update agent set next_run_at = ${first} where id = ${agentId}`.execute(world.deps.db);
  const fleet = new Fleet(world, { concurrency: 4 });
  const n = o.processes ?? 3;
  for (let i = 0; i < n; i++) fleet.spawn();
  // The faults start once the processes run (starting one takes seconds on a busy machine).
  await Promise.all(fleet.live().map((w) => w.ready));
  const breaches: string[] = [];
  const faults: Record<string, number> = { kill: 0, term: 0, freeze: 0 };
  const end = Date.now() + o.seconds * 1000;
  while (Date.now() < end) {
    await pause(r.int(3_000, 8_000));
    const ready = fleet.live().filter((w) => w.readyAt !== null);
    if (ready.length < 2) continue;
    const w = r.pick(ready);
    const what = r.pick(['kill', 'term', 'freeze'] as const);
    faults[what]!++;
    if (what === 'kill') fleet.signal(w, 'SIGKILL');
    else if (what === 'term') fleet.signal(w, 'SIGTERM');
    else {
      fleet.signal(w, 'SIGSTOP');
      await pause(r.int(1_000, 4_000));
      fleet.signal(w, 'SIGCONT');
    }
    if (what !== 'freeze') fleet.spawn();
    o.log?.(`[scheduler] ${what} worker ${w.pid}`);
  }
  // Stop the clock: the update waits for any scheduler holding the agent, so every slot before
  // the returned time was admitted and committed.
  const stopped = await sql<{ next_run_at: Date }>`update agent set enabled = false where id = ${agentId} returning next_run_at`.execute(
    world.deps.db,
  );
  const last = stopped.rows[0]!.next_run_at;
  const expected: string[] = [];
  for (let s: Date | null = first; s && s < last; s = nextFireTime(schedule, s)) expected.push(s.toISOString());
  const drainMs = await drain(world, person.spaceId, 180_000);
  await fleet.stopAll();
  const runs = await sql<{ key: string; status: string; n: number }>`
    select trigger_key as key, status, count(*) over (partition by trigger_key)::int as n from agent_run where agent_id = ${agentId}`.execute(
    world.deps.db,
  );
  const byKey = new Map(runs.rows.map((x) => [x.key, x]));
  const tasks = await sql<{ title: string; n: number }>`
    select title, count(*)::int as n from task where space_id = ${person.spaceId} group by title`.execute(world.deps.db);
  const taskCount = new Map(tasks.rows.map((t) => [t.title, t.n]));
  let gaps = 0;
  let doubles = 0;
  for (const slot of expected) {
    const run = byKey.get(`schedule:${slot}`);
    const t = taskCount.get(`Slot ${slot}`) ?? 0;
    if (!run) {
      gaps++;
      breaches.length < 20 && breaches.push(`slot ${slot} never fired`);
    } else if (run.status !== 'succeeded') breaches.push(`the run of slot ${slot} ended ${run.status}`);
    if (t > 1 || (run?.n ?? 0) > 1) {
      doubles++;
      breaches.push(`slot ${slot} fired ${Math.max(t, run?.n ?? 0)} times`);
    }
    if (run?.status === 'succeeded' && t === 0) breaches.push(`slot ${slot} ran but filed no task`);
  }
  const extra = runs.rows.filter((x) => !expected.includes(x.key.replace(/^schedule:/, '')));
  for (const x of extra.slice(0, 5)) breaches.push(`a run for ${x.key}, which is not a slot of the schedule`);
  // A schedule that never came due proves nothing: that is a failure of the scenario, not a pass.
  if (!expected.length) breaches.push('no slot came due: the scheduler never advanced the schedule');
  if (!Object.values(faults).some(Boolean)) breaches.push('no fault was injected (fewer than two processes were ever ready)');
  const quota = await checkQuota(world, person.spaceId);
  const chain = await checkChain(world, person.spaceId);
  return {
    id: 'scheduler',
    name: 'scheduler in three processes',
    seed: o.seed,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: {
      processes: n,
      slots: expected.length,
      backlogSlots: expected.filter((s) => new Date(s).getTime() < t0).length,
      fired: runs.rows.length,
      gaps,
      doubles,
      extraRuns: extra.length,
      ...Object.fromEntries(Object.entries(faults).map(([k, v]) => [`faults:${k}`, v])),
      drainSeconds: Math.round(drainMs / 1000),
      ...quota.figures,
      ...chain.figures,
    },
    breaches: [...breaches, ...quota.breaches, ...chain.breaches],
  };
}

// ---------------------------------------------------------------- 6. billing: 50 concurrent triggers, one run left

export async function billingScenario(
  world: World,
  o: ScenarioOptions & { trials: number; concurrency?: number },
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const r = rng(o.seed ^ 0x6);
  const width = o.concurrency ?? 50;
  const person = await newPerson(world, ['chaos-quota']);
  const agentId = person.agents.spend!;
  // Its own connections, one per trigger, so that the fifty transactions really run side by side.
  const wide = createDatabase({ url: world.databaseUrl, max: width, acquireTimeoutMs: 60_000, applicationName: 'csme-chaos-billing' });
  const ctx = { ...systemCtx(world.deps), db: wide.db };
  const breaches: string[] = [];
  let admitted = 0;
  let refused = 0;
  let overshoot = 0;
  let none = 0;
  let viaApi = 0;
  let n = 0;
  try {
    // The first run opens the month's counter.
    await admitRun(ctx, { spaceId: person.spaceId, agentId, kind: 'manual', key: 'open', data: {} });
    for (let t = 0; t < o.trials; t++) {
      const limit = await sql<{ limit: number }>`
        update usage_counter set used = base_limit + extra - 1 where space_id = ${person.spaceId} and metric = 'runs'
        returning base_limit + extra as limit`.execute(world.deps.db);
      const cap = limit.rows[0]!.limit;
      const api = r.chance(0.3);
      let ok = 0;
      if (api) {
        viaApi++;
        const res = await Promise.all(
          Array.from({ length: width }, () => person.client.call(R.runAgentNow, { params: { agentId }, body: { input: { trial: t } } })),
        );
        ok = res.filter((x) => x.status === 202).length;
        const wrong = res.filter((x) => x.status !== 202 && !(x.status === 402 && x.error?.code === 'quota_exceeded'));
        for (const x of wrong.slice(0, 3)) breaches.push(`trial ${t}: run now answered ${x.status} ${x.error?.code}`);
        refused += res.filter((x) => x.status === 402).length;
      } else {
        const res = await Promise.all(
          Array.from({ length: width }, () =>
            admitRun(ctx, {
              spaceId: person.spaceId,
              agentId,
              kind: r.pick(['manual', 'webhook', 'event'] as const),
              key: `t${n++}`,
              data: {},
            }),
          ),
        );
        ok = res.filter((x) => x.status === 'queued').length;
        refused += res.filter((x) => x.status === 'refused' && x.reason === 'quota').length;
      }
      admitted += ok;
      const used = await sql<{ used: number }>`
        select used from usage_counter where space_id = ${person.spaceId} and metric = 'runs'`.execute(world.deps.db);
      if (ok > 1) {
        overshoot++;
        breaches.push(`trial ${t}: ${ok} of ${width} triggers admitted with one run left`);
      }
      if (ok === 0) {
        none++;
        breaches.push(`trial ${t}: no trigger admitted with one run left`);
      }
      if (used.rows[0]!.used !== cap) breaches.push(`trial ${t}: the counter reads ${used.rows[0]!.used} of ${cap}`);
    }
    const jobs = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs where payload->>'spaceId' = ${person.spaceId}`.execute(world.deps.db);
    // Every admitted run (and the opening one) has its job: none admitted without being queued.
    if (jobs.rows[0]!.n !== admitted + 1) breaches.push(`${admitted + 1} runs admitted but ${jobs.rows[0]!.n} jobs queued`);
  } finally {
    await wide.destroy();
  }
  return {
    id: 'billing',
    name: 'billing: one run left, 50 concurrent triggers',
    seed: o.seed,
    seconds: Math.round((Date.now() - t0) / 1000),
    figures: {
      trials: o.trials,
      triggersPerTrial: width,
      triggers: o.trials * width,
      trialsThroughApi: viaApi,
      admitted,
      refusedForQuota: refused,
      overshoot,
      trialsWithNoneAdmitted: none,
    },
    breaches,
  };
}
