// 4. HTTP: /healthz against bare Fastify on the same port, the runs list of a space with 100,000 runs,
// webhook ingest. autocannon runs in a process of its own; the server in this one.
import Fastify from 'fastify';
import { inTenant } from '../server/src/core/db.js';
import { listRuns as listRunRows } from '../server/src/modules/runs/runs.repository.js';
import { cannon } from './cannon.js';
import { engineSpaces } from './engine.bench.js';
import { seedRuns } from './fixtures.js';
import { type BenchContext, type Benchmark, percentile, round, startPlatform, target, withCpuProfile } from './lib.js';

export const httpBench: Benchmark = {
  name: 'http',
  description: 'autocannon: /healthz vs bare Fastify (same port), runs list on 100,000 runs, webhook ingest',
  async run(b) {
    const seconds = b.full ? 40 : 8;
    const url = await b.database('bench_http');

    // Bare Fastify first, then the platform on the very same port.
    const bare = Fastify();
    bare.get('/', async () => ({ hello: 'world' }));
    await bare.listen({ host: '127.0.0.1', port: 0 });
    const port = (bare.server.address() as { port: number }).port;
    const origin = `http://127.0.0.1:${port}`;
    const floodOpts = { origin, connections: 100, pipelining: 10, seconds };
    await cannon({ ...floodOpts, paths: ['/'], seconds: 2 }); // warm-up
    const bareR = await cannon({ ...floodOpts, paths: ['/'] });
    await bare.close();
    b.log(`  bare Fastify: ${bareR.requestsPerSecond} req/s`);

    const p = await startPlatform(url, { worker: false, port });
    try {
      await cannon({ ...floodOpts, paths: ['/healthz'], seconds: 2 });
      const health = await profiled(b, 'healthz', () => cannon({ ...floodOpts, paths: ['/healthz'] }));
      b.log(`  /healthz: ${health.requestsPerSecond} req/s`);

      // The runs list: a space with 100,000 runs, 50 per page, signed in.
      const [space, ...others] = await engineSpaces(p, 8);
      await seedRuns(p.deps, space!, 'hook', 100_000);
      const list = { origin, paths: ['/api/v1/runs?limit=50'], headers: { cookie: space!.headers.cookie! } };
      await cannon({ ...list, connections: 10, seconds: 2 });
      const listMax = await profiled(b, 'list', () => cannon({ ...list, connections: 100, seconds }));
      const listRate = Math.max(10, Math.min(200, Math.round(listMax.requestsPerSecond / 2)));
      const listAtRate = await cannon({ ...list, connections: 100, seconds, rate: listRate });
      b.log(`  runs list: ${listMax.requestsPerSecond} req/s max (p99 ${listMax.p99} ms); p99 ${listAtRate.p99} ms at ${listRate} req/s`);
      // The query itself, as the endpoint runs it (in a tenant transaction), median of 50.
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t = performance.now();
        await inTenant(p.deps.db, { spaceId: space!.spaceId, accountId: space!.accountId }, (tx) =>
          listRunRows(tx, space!.spaceId, { limit: 50 }),
        );
        times.push(performance.now() - t);
      }
      const execMs = round(percentile(times, 50), 2);

      // Webhook ingest (the worker is off: this is what the API accepts), spread over 8 spaces' agents.
      const hooks = {
        origin,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: '{"id":"[<id>]","list":"milk"}',
      };
      const paths = [space!, ...others].map((s) => s.webhooks.hook!);
      await cannon({ ...hooks, paths, connections: 20, seconds: 2 });
      const ingestMax = await cannon({ ...hooks, paths, connections: 100, seconds });
      const ingestAt = await cannon({ ...hooks, paths, connections: 100, seconds, rate: 1500 });
      const oneSpace = await cannon({ ...hooks, paths: paths.slice(0, 1), connections: 100, seconds });
      b.log(`  webhooks: ${ingestMax.requestsPerSecond} req/s max (p99 ${ingestMax.p99} ms); p99 ${ingestAt.p99} ms at 1500 req/s`);
      const ratio = health.requestsPerSecond / bareR.requestsPerSecond;
      const errors = ingestMax.non2xx + ingestMax.errors + ingestAt.non2xx + ingestAt.errors + listMax.non2xx + listAtRate.non2xx;
      return {
        name: this.name,
        figures: {
          'bare Fastify req/s (c100 p10)': bareR.requestsPerSecond,
          '/healthz req/s (c100 p10)': health.requestsPerSecond,
          '/healthz share of bare Fastify': round(ratio),
          'runs list req/s max (c100)': listMax.requestsPerSecond,
          'runs list p99 ms at c100 (closed loop)': listMax.p99,
          [`runs list p99 ms at ${listRate} req/s`]: listAtRate.p99,
          'runs list query ms (tenant transaction, median)': execMs,
          'webhook ingest req/s max (c100, 8 spaces)': ingestMax.requestsPerSecond,
          'webhook ingest p99 ms at c100 (closed loop)': ingestMax.p99,
          'webhook ingest p99 ms at 1500 req/s': ingestAt.p99,
          'webhook ingest req/s max, one space (c100)': oneSpace.requestsPerSecond,
          'errors (non-2xx)': errors,
          'anchor: Fastify 5 hello world req/s (4 vCPU, vendor)': 46850,
          'anchor: Activepieces 2 CPU webhook req/s': 95,
        },
        targets: [
          target('/healthz share of bare Fastify', ratio, '>=', 0.7),
          target(`runs list p99 ms at ${listRate} req/s`, listAtRate.p99, '<=', 25),
          target('webhook ingest req/s max (c100, 8 spaces)', ingestMax.requestsPerSecond, '>=', 1500),
          target('webhook ingest p99 ms at 1500 req/s', ingestAt.p99, '<=', 50),
        ],
        notes: [
          'closed loop at 100 connections, latency = connections / throughput (Little): the p99 targets are read at a fixed offered rate (autocannon -R, corrected for coordinated omission)',
          'the runs list rate is half its own maximum (capped at 200 req/s); webhooks are ingested with the worker stopped',
        ],
      };
    } finally {
      await p.close();
    }
  },
};

/** With --profile: the server's CPU profile during `fn` (bench/results/<name>.cpuprofile) and its top functions in the log. */
async function profiled<T>(b: BenchContext, name: string, fn: () => Promise<T>): Promise<T> {
  if (!b.profile) return fn();
  const { result, top } = await withCpuProfile(name, fn);
  b.log(
    `  ${name} profile, self time: ${top
      .slice(0, 12)
      .map((t) => `${t.selfPct}% ${t.fn}`)
      .join('; ')}`,
  );
  return result;
}
