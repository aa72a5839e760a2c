// 5. Priority under overload: Free spaces offer twice the maximum throughput while Pro spaces trigger 10%
// of it ("run now", through the API). Pro runs must keep a short queue wait, every admitted Free run must
// complete once the load stops, and each space's quota must be exact to the run.
import { sql } from 'kysely';
import { type BenchSpace, newSpace } from './fixtures.js';
import { type Benchmark, percentile, round, startPlatform, target, waitUntil } from './lib.js';
import { runLoad } from './loadgen.js';

const FREE_RUNS_PER_MONTH = 300;

export const priority: Benchmark = {
  name: 'priority',
  description: 'Free at 2x the maximum throughput, Pro at 10%: Pro p95 queue wait, Free all complete, quotas exact',
  async run(b) {
    const max = b.shared.maxRunsPerSecond || 300;
    const seconds = b.full ? 60 : 20;
    const freeRate = 2 * max;
    const proRate = Math.max(5, Math.round(0.1 * max));
    // About 400 offered per Free space: each runs into its quota of 300 during the overload.
    const freeSpaces = Math.max(4, Math.ceil((freeRate * seconds) / 400));
    const p = await startPlatform(await b.database('bench_priority'));
    try {
      b.log(`  ${freeSpaces} Free spaces at ${freeRate} runs/s together, 4 Pro spaces at ${proRate} runs/s, ${seconds} s`);
      const free: BenchSpace[] = [];
      for (let i = 0; i < freeSpaces; i++) free.push(await newSpace(p.app, p.deps, { plan: 'free', packs: ['bench'] }));
      const pro: BenchSpace[] = [];
      for (let i = 0; i < 4; i++) pro.push(await newSpace(p.app, p.deps, { plan: 'pro', packs: ['bench'], extraRuns: 1_000_000 }));
      const targetOf = (s: BenchSpace) => ({
        url: `${p.baseUrl}/api/v1/agents/${s.agents.tap}/runs`,
        method: 'POST' as const,
        headers: s.headers,
        body: '{"input":{"n":{{i}}}}',
      });
      const load = await runLoad({
        targets: [...free.map(targetOf), ...pro.map(targetOf)],
        weights: [...free.map(() => freeRate / free.length), ...pro.map(() => proRate / pro.length)],
        rate: freeRate + proRate,
        durationMs: seconds * 1000,
        connections: 128,
        timeoutMs: 120_000,
      });
      const loadEnded = Date.now();
      await waitUntil(
        async () => {
          const r = await sql<{ n: number }>`select count(*)::int as n from agent_run where status in ('queued', 'running')`.execute(
            p.deps.db,
          );
          return r.rows[0]!.n === 0;
        },
        'the Free backlog to drain',
        600_000,
        500,
      );
      const drainSeconds = (Date.now() - loadEnded) / 1000;
      const ids = (xs: BenchSpace[]) => xs.map((s) => s.spaceId);
      const waits = await sql<{ wait: number }>`
        select extract(epoch from s.started_at - r.queued_at) * 1000 as wait
        from agent_run r join run_step s on s.run_id = r.id and s.idx = 0 where r.space_id = any(${ids(pro)}::uuid[])`.execute(p.deps.db);
      const proWaits = waits.rows.map((r) => r.wait);
      const freeWaits = await sql<{ wait: number }>`
        select extract(epoch from s.started_at - r.queued_at) * 1000 as wait
        from agent_run r join run_step s on s.run_id = r.id and s.idx = 0 where r.space_id = any(${ids(free)}::uuid[])`.execute(p.deps.db);
      const byStatus = await sql<{ space_id: string; status: string; n: number }>`
        select space_id, status, count(*)::int as n from agent_run group by 1, 2`.execute(p.deps.db);
      const usage = await sql<{ space_id: string; used: number; base_limit: number; extra: number }>`
        select space_id, used, base_limit, extra from usage_counter where metric = 'runs'`.execute(p.deps.db);
      const count = (space: string, status: string) => byStatus.rows.find((r) => r.space_id === space && r.status === status)?.n ?? 0;
      let quotaErrors = 0;
      let freeNotDone = 0;
      let freeAdmitted = 0;
      let freeRefused = 0;
      for (const [k, s] of [...free, ...pro].entries()) {
        const u = usage.rows.find((r) => r.space_id === s.spaceId);
        const ran = count(s.spaceId, 'succeeded') + count(s.spaceId, 'failed') + count(s.spaceId, 'cancelled');
        const refused = count(s.spaceId, 'refused');
        const offered = load.perTarget[k]!.sent;
        const isFree = k < free.length;
        // Exact: what the counter says was used is what ran; nothing over the limit; every trigger is a run or a refusal.
        if (!u || u.used !== ran || u.used > u.base_limit + u.extra || ran + refused !== offered) quotaErrors++;
        if (isFree && u && u.base_limit !== FREE_RUNS_PER_MONTH) quotaErrors++;
        if (isFree && refused > 0 && u && u.used !== u.base_limit + u.extra) quotaErrors++;
        if (isFree) {
          freeAdmitted += ran;
          freeRefused += refused;
          freeNotDone += count(s.spaceId, 'failed') + count(s.spaceId, 'queued') + count(s.spaceId, 'running');
        }
      }
      const proP95 = percentile(proWaits, 95);
      const httpErrors = Object.entries(load.statuses)
        .filter(([code]) => !code.startsWith('2') && code !== '402')
        .reduce((sum, [, n]) => sum + n, 0);
      return {
        name: this.name,
        figures: {
          'offered Free runs/s': freeRate,
          'offered Pro runs/s': proRate,
          'Pro queue wait p50 ms': round(percentile(proWaits, 50)),
          'Pro queue wait p95 ms': round(proP95),
          'Free queue wait p95 ms': round(
            percentile(
              freeWaits.rows.map((r) => r.wait),
              95,
            ),
          ),
          'Free runs admitted / refused (quota)': `${freeAdmitted} / ${freeRefused}`,
          'Free runs not completed': freeNotDone,
          'spaces with an inexact quota': quotaErrors,
          'drain after the load s': round(drainSeconds, 1),
          'HTTP errors (other than 402 quota)': httpErrors,
          'run-now answer p99 ms, Pro': load.perTarget.at(-1)!.p99,
        },
        targets: [
          target('Pro queue wait p95 ms', proP95, '<=', 250),
          target('Free runs not completed', freeNotDone, '<=', 0),
          target('spaces with an inexact quota', quotaErrors, '<=', 0),
        ],
        notes: [
          `maximum throughput taken from the throughput benchmark (${max} runs/s); queue wait = first step start - admission`,
          'quota exact: per space, usage counter = runs that ran, never over the limit, and runs + refusals = triggers sent',
        ],
      };
    } finally {
      await p.close();
    }
  },
};
