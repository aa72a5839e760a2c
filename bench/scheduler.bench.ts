// 6. Scheduler scale: 100,000 scheduled agents in 10,000 spaces (reduced: 10,000 in 1,000), cron and
// RRULE schedules in twelve time zones, over a simulated day (a clock moved by hand, two schedulers
// racing for the same agents), then a real-time slice with the production ticker for lateness.
import { sql } from 'kysely';
import { ManualClock } from '../server/src/core/clock.js';
import { systemCtx } from '../server/src/core/ctx.js';
import { type AgentSchedule, nextFireTime } from '../server/src/modules/agents/index.js';
import { runDueSchedules } from '../server/src/modules/runs/index.js';
import { CLOCK_SCHEDULES, cloneSpace, newSpace } from './fixtures.js';
import { type Benchmark, percentile, round, startPlatform, target, waitUntil } from './lib.js';

const ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'Asia/Jerusalem',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Asia/Tokyo',
  'Australia/Adelaide',
  'Pacific/Auckland',
  'America/Sao_Paulo',
  'America/New_York',
  'America/Los_Angeles',
];
const DAY_START = new Date('2026-12-07T00:00:00Z');
const DAY_MS = 24 * 3_600_000;

export const schedulerScale: Benchmark = {
  name: 'scheduler',
  description: 'scheduled agents over a simulated day (every due run admitted once), then lateness in a real-time slice',
  async run(b) {
    const spaces = b.full ? 10_000 : 1_000;
    const url = await b.database('bench_scheduler');
    const clock = new ManualClock(new Date(DAY_START.getTime() - 60_000));
    const p = await startPlatform(url, { worker: false, clock });
    let closed = false;
    try {
      const template = await newSpace(p.app, p.deps, { plan: 'pro', packs: ['bench-clock'] });
      const t0 = performance.now();
      const copies = await cloneSpace(p.deps, template, spaces - 1);
      const all = [template.spaceId, ...copies];
      // Each space gets one of twelve time zones; every agent's next run from the start of the day.
      await sql`update agent set schedule = jsonb_set(schedule, '{timeZone}', to_jsonb(z.zone))
        from unnest(${all}::uuid[], ${all.map((_, i) => ZONES[i % ZONES.length]!)}::text[]) as z(space_id, zone)
        where agent.space_id = z.space_id`.execute(p.deps.db);
      const expected = new Map<string, string[]>();
      let expectedTotal = 0;
      for (const [k, s] of CLOCK_SCHEDULES.entries()) {
        for (const [zi, zone] of ZONES.entries()) {
          const schedule = { ...s, timeZone: zone } as AgentSchedule;
          const keys: string[] = [];
          const first = nextFireTime(schedule, new Date(DAY_START.getTime() - 1));
          for (let t = first; t && t.getTime() < DAY_START.getTime() + DAY_MS; t = nextFireTime(schedule, t))
            keys.push(`schedule:${t.toISOString()}`);
          expected.set(`clock-${k}|${zone}`, keys);
          const spacesInZone = all.filter((_, i) => i % ZONES.length === zi).length;
          expectedTotal += keys.length * spacesInZone;
          await sql`update agent set next_run_at = ${first}
            where agent_key = ${`clock-${k}`} and schedule->>'timeZone' = ${zone}`.execute(p.deps.db);
        }
      }
      await sql`analyze agent`.execute(p.deps.db);
      const setupS = (performance.now() - t0) / 1000;
      b.log(
        `  ${all.length * CLOCK_SCHEDULES.length} agents in ${all.length} spaces ready in ${setupS.toFixed(1)} s; ${expectedTotal} runs due in the day`,
      );

      // The simulated day, minute by minute; two schedulers take agents concurrently (SKIP LOCKED).
      const ctx = systemCtx(p.deps);
      let attempts = 0;
      let busyMs = 0;
      let roundsMax = 0;
      for (let m = 0; m < 24 * 60; m++) {
        clock.set(new Date(DAY_START.getTime() + m * 60_000));
        const r0 = performance.now();
        const loop = async () => {
          let rounds = 0;
          for (;;) {
            const n = await runDueSchedules(ctx);
            attempts += n;
            rounds++;
            if (n === 0) return rounds;
          }
        };
        const rounds = await Promise.all([loop(), loop()]);
        roundsMax = Math.max(roundsMax, ...rounds);
        busyMs += performance.now() - r0;
        if (m % 240 === 0) b.log(`    ${String(m / 60).padStart(2)}:00 simulated, ${attempts} admitted so far`);
      }
      const leftDue = await sql<{
        n: number;
      }>`select count(*)::int as n from agent where next_run_at < ${new Date(DAY_START.getTime() + DAY_MS)}`.execute(p.deps.db);
      // Compare each agent's runs with what its schedule says.
      await sql`create temp table expected_slots (agent_key text, zone text, keys text[])`.execute(p.deps.db);
      for (const [k, keys] of expected) {
        const [agentKey, zone] = k.split('|');
        await sql`insert into expected_slots values (${agentKey}, ${zone}, ${keys}::text[])`.execute(p.deps.db);
      }
      const cmp = await sql<{ agents: number; wrong: number; missed: number; extra: number; runs: number }>`
        with got as (select agent_id, array_agg(trigger_key order by trigger_key) as keys, count(*) as n from agent_run
                     where trigger_kind = 'schedule' group by agent_id)
        select count(*)::int as agents,
               count(*) filter (where coalesce(g.keys, '{}') is distinct from (select array_agg(x order by x) from unnest(e.keys) x))::int as wrong,
               coalesce(sum(cardinality(e.keys) - cardinality(array(select unnest(e.keys) intersect select unnest(g.keys)))), 0)::int as missed,
               coalesce(sum(cardinality(g.keys) - cardinality(array(select unnest(g.keys) intersect select unnest(e.keys)))), 0)::int as extra,
               coalesce(sum(g.n), 0)::int as runs
        from agent a join expected_slots e on e.agent_key = a.agent_key and e.zone = a.schedule->>'timeZone'
        left join got g on g.agent_id = a.id`.execute(p.deps.db);
      const c = cmp.rows[0]!;
      const admittedPerS = c.runs / (busyMs / 1000);
      b.log(
        `  simulated day: ${c.runs} runs (${expectedTotal} expected), ${c.missed} missed, ${c.extra} extra, ${round(admittedPerS)} admissions/s`,
      );

      // The real-time slice: the queue is emptied (no simulated run executes), the production ticker runs.
      await sql`delete from graphile_worker._private_jobs`.execute(p.deps.db);
      await sql`update agent_run set status = 'cancelled', finished_at = now() where status = 'queued'`.execute(p.deps.db);
      await p.close();
      closed = true;
      const live = await startPlatform(url, { worker: false });
      try {
        const slice = b.full ? 10_000 : 2_000;
        const windowS = 30;
        const sliceStart = Date.now() + 5000;
        await sql`update agent set next_run_at = ${new Date(sliceStart)}::timestamptz + (random() * ${windowS * 1000}) * interval '1 ms'
          where id in (select id from agent order by md5(id::text) limit ${slice})`.execute(live.deps.db);
        await live.startWorker();
        // By the slot, not by queued_at: the simulated day (December) lies after today and its runs must not count here.
        const res = await waitUntil(
          async () => {
            const r = await sql<{ late: number }>`
              select extract(epoch from queued_at - (trigger_data->>'scheduledFor')::timestamptz) * 1000 as late
              from agent_run where trigger_kind = 'schedule'
                and (trigger_data->>'scheduledFor')::timestamptz between ${new Date(sliceStart - 1000)} and ${new Date(sliceStart + (windowS + 1) * 1000)}`.execute(
              live.deps.db,
            );
            return r.rows.length >= slice ? r.rows : undefined;
          },
          'the slice to be admitted',
          (windowS + 120) * 1000,
          1000,
        );
        const late = res.map((r) => r.late);
        const p99 = percentile(late, 99);
        const missed = c.missed + (leftDue.rows[0]!.n ?? 0);
        return {
          name: this.name,
          figures: {
            'agents / spaces': `${all.length * CLOCK_SCHEDULES.length} / ${all.length}`,
            'runs due in the simulated day': expectedTotal,
            'runs admitted': c.runs,
            missed,
            'doubled or unexpected': c.extra,
            'agents whose runs differ from their schedule': c.wrong,
            'scheduler admissions/s (2 schedulers, simulated day)': round(admittedPerS),
            'most rounds of 200 in one minute': roundsMax,
            [`real-time slice: ${slice} due within ${windowS} s`]: late.length,
            'lateness p50 ms': round(percentile(late, 50)),
            'lateness p99 ms': round(p99),
            'lateness max ms': round(Math.max(...late)),
          },
          targets: [
            target('missed', missed, '<=', 0),
            target('doubled or unexpected', c.extra, '<=', 0),
            target('lateness p99 ms', p99, '<=', 1000),
          ],
          notes: ['lateness = admission (queued_at) - the slot; the ticker runs every 500 ms as in production'],
        };
      } finally {
        await live.close();
      }
    } finally {
      if (!closed) await p.close();
    }
  },
};
