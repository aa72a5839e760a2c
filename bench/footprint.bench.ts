// 7. Footprint and soak. Idle memory of `csme start` (API + worker + embedded PostgreSQL) as a person
// runs it; heap per in-flight run (runs held inside a model call); and the soak at 50% of the maximum
// throughput: drift of throughput and latency, dead tuples of the job and run tables.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MockLanguageModelV3 } from 'ai/test';
import { sql } from 'kysely';
import { systemCtx } from '../server/src/core/ctx.js';
import { freePort } from '../server/src/core/postgres.js';
import { admitRun } from '../server/src/modules/runs/index.js';
import { enableOperatorModel, engineSpaces } from './engine.bench.js';
import { type Benchmark, percentile, round, sleep, startPlatform, target, tupleStats, waitUntil } from './lib.js';
import { runLoad } from './loadgen.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

/** Proportional set size (shared pages split between the processes sharing them), in bytes. */
function pss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The process and all its descendants. */
function tree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(parents.get(out[i]!) ?? []));
  return out;
}

async function idleMemory(): Promise<{ nodeMiB: number; postgresMiB: number; totalMiB: number; startSeconds: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'csme-bench-start-'));
  const port = await freePort();
  const t0 = Date.now();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'server/bin/csme.js'), 'start'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', CSME_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.resume();
  try {
    await waitUntil(async () => out.includes('is running at'), '`csme start` to be up', 120_000, 200);
    const startSeconds = (Date.now() - t0) / 1000;
    await sleep(15_000); // idle: tickers and heartbeats only
    const pids = tree(child.pid!);
    const node = pss(child.pid!);
    const total = pids.reduce((s, p) => s + pss(p), 0);
    return { nodeMiB: round(node / MiB, 1), postgresMiB: round((total - node) / MiB, 1), totalMiB: round(total / MiB, 1), startSeconds };
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const footprint: Benchmark = {
  name: 'footprint',
  description: 'idle memory of `csme start` (API + worker + embedded PostgreSQL); heap per in-flight run',
  async run(b) {
    const idle = await idleMemory();
    b.log(`  idle: ${idle.totalMiB} MiB (node ${idle.nodeMiB}, PostgreSQL ${idle.postgresMiB})`);

    // Heap per in-flight run: N runs each held inside its model call.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const inFlight = 200;
    let waiting = 0;
    let release: () => void = () => {};
    let gate = new Promise<void>((r) => {
      release = r;
    });
    const model = () =>
      new MockLanguageModelV3({
        doGenerate: async () => {
          waiting++;
          await gate;
          waiting--;
          return {
            content: [{ type: 'text', text: '{"first":"milk"}' }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: { total: 40, noCache: 40, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 6, text: 6, reasoning: 0 },
            },
            warnings: [],
          };
        },
      });
    const p = await startPlatform(await b.database('bench_footprint'), { languageModel: model, concurrency: inFlight });
    try {
      await enableOperatorModel(p.deps);
      const [space] = await engineSpaces(p, 1, ['bench', 'bench-model']);
      const ctx = systemCtx(p.deps);
      const admit = async (n: number, tag: string) => {
        for (let i = 0; i < n; i++)
          await admitRun(ctx, {
            spaceId: space!.spaceId,
            agentId: space!.agents.think!,
            kind: 'manual',
            key: `manual:${tag}:${i}`,
            data: {},
          });
      };
      const settle = async () => {
        await waitUntil(async () => {
          const r = await sql<{ n: number }>`select count(*)::int as n from agent_run where status in ('queued', 'running')`.execute(
            p.deps.db,
          );
          return r.rows[0]!.n === 0;
        }, 'runs to finish');
      };
      // Warm-up with the gate open, then measure the baseline heap.
      release();
      await admit(inFlight, 'warm');
      await settle();
      gate = new Promise<void>((r) => {
        release = r;
      });
      await sleep(500);
      const heap = () => {
        for (let i = 0; i < 3; i++) gc();
        return process.memoryUsage().heapUsed;
      };
      const before = heap();
      await admit(inFlight, 'held');
      await waitUntil(async () => waiting >= inFlight || undefined, `${inFlight} runs inside their model call`, 120_000, 50);
      const during = heap();
      release();
      await settle();
      const perRunKiB = (during - before) / inFlight / 1024;
      return {
        name: this.name,
        figures: {
          'idle memory MiB (API + worker + PostgreSQL, PSS)': idle.totalMiB,
          'idle node process MiB (PSS)': idle.nodeMiB,
          'idle PostgreSQL MiB (PSS, all its processes)': idle.postgresMiB,
          'csme start: seconds to ready (first start, initdb included)': round(idle.startSeconds, 1),
          'heap per in-flight run KiB': round(perRunKiB, 1),
          'in-flight runs measured': inFlight,
          'anchor: Activepieces idle worker MiB': 145,
          'anchor: n8n RAM MiB (minimum)': 320,
        },
        targets: [
          target('idle memory MiB (API + worker + PostgreSQL, PSS)', idle.totalMiB, '<=', 500),
          target('heap per in-flight run KiB', perRunKiB, '<=', 20),
        ],
        notes: ['PSS counts shared pages (PostgreSQL shared buffers, libraries) once across processes'],
      };
    } finally {
      release();
      await p.close();
    }
  },
};

export const soak: Benchmark = {
  name: 'soak',
  description: 'a steady 50% of the maximum throughput: drift of throughput and latency, dead tuples bounded',
  async run(b) {
    const max = b.shared.maxRunsPerSecond || 300;
    const rate = Math.max(10, Math.round(max / 2));
    // At least two autovacuum naptimes (60 s by default) even in the reduced run: a shorter soak cannot show
    // whether dead tuples are bounded, only that they accumulate until the first vacuum.
    const durationMs = b.soakMs || (b.full ? 10 * 60_000 : 130_000);
    const windowMs = durationMs >= 20 * 60_000 ? 60_000 : 10_000;
    const p = await startPlatform(await b.database('bench_soak'));
    try {
      const spaces = await engineSpaces(p, 8);
      b.log(`  ${rate} runs/s for ${Math.round(durationMs / 1000)} s, sampled every ${windowMs / 1000} s`);
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const starts: number[] = [];
      const durations: number[] = [];
      let finished = 0;
      const m = p.deps.metrics;
      const t2s = m.triggerToStart.observe.bind(m.triggerToStart);
      m.triggerToStart.observe = ((labels: never, v: number) => {
        starts.push(v * 1000);
        t2s(labels, v);
      }) as typeof m.triggerToStart.observe;
      const dur = m.runDuration.observe.bind(m.runDuration);
      m.runDuration.observe = ((labels: never, v: number) => {
        durations.push(v * 1000);
        finished++;
        dur(labels, v);
      }) as typeof m.runDuration.observe;
      const windows: Array<{
        at: number;
        done: number;
        startP99: number;
        durP99: number;
        jobsDead: number;
        runsDead: number;
        stepsDead: number;
        jobVacuums: number;
        runVacuums: number;
        rssMiB: number;
        lagP99: number;
      }> = [];
      const loadP = runLoad({
        targets: spaces.map((s) => ({
          url: `${p.baseUrl}${s.webhooks.hook}`,
          method: 'POST' as const,
          headers: { 'content-type': 'application/json' },
          body: '{"n":{{i}},"t":{{t}}}',
        })),
        rate,
        durationMs,
        connections: 64,
      });
      const t0 = Date.now();
      while (Date.now() - t0 < durationMs - windowMs / 2) {
        await sleep(windowMs);
        const tuples = await tupleStats(p.deps.db);
        windows.push({
          at: Math.round((Date.now() - t0) / 1000),
          done: round(finished / (windowMs / 1000), 1),
          startP99: round(percentile(starts, 99)),
          durP99: round(percentile(durations, 99)),
          jobsDead: tuples['graphile_worker._private_jobs']?.dead ?? 0,
          runsDead: tuples['public.agent_run']?.dead ?? 0,
          stepsDead: tuples['public.run_step']?.dead ?? 0,
          jobVacuums: tuples['graphile_worker._private_jobs']?.autovacuums ?? 0,
          runVacuums: tuples['public.agent_run']?.autovacuums ?? 0,
          rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
          lagP99: round(lag.percentile(99) / 1e6),
        });
        const w = windows.at(-1)!;
        b.log(
          `    ${String(w.at).padStart(5)} s: ${w.done} runs/s, start p99 ${w.startP99} ms, run p99 ${w.durP99} ms, dead tuples jobs ${w.jobsDead} runs ${w.runsDead} steps ${w.stepsDead} (autovacuums jobs ${w.jobVacuums} runs ${w.runVacuums}), rss ${w.rssMiB} MiB, loop lag p99 ${w.lagP99} ms`,
        );
        finished = 0;
        starts.length = 0;
        durations.length = 0;
        lag.reset();
      }
      const load = await loadP;
      // Drift: the median of the first three windows after the first against the median of the last three.
      const usable = windows.slice(1);
      const head = usable.slice(0, 3);
      const tail = usable.slice(-3);
      const med = (xs: number[]) => percentile(xs, 50);
      const drift = (f: (w: (typeof windows)[number]) => number) => {
        const a = med(head.map(f));
        return a ? (med(tail.map(f)) - a) / a : 0;
      };
      const thrDrift = Math.abs(drift((w) => w.done));
      const p99Drift = drift((w) => w.startP99 + w.durP99);
      const half = Math.floor(usable.length / 2);
      const peak = (xs: typeof windows, f: (w: (typeof windows)[number]) => number) => Math.max(0, ...xs.map(f));
      const deadFirst = peak(usable.slice(0, half), (w) => w.jobsDead + w.runsDead + w.stepsDead);
      const deadSecond = peak(usable.slice(half), (w) => w.jobsDead + w.runsDead + w.stepsDead);
      const bounded = deadSecond <= Math.max(20_000, deadFirst * 1.5);
      return {
        name: this.name,
        figures: {
          'rate runs/s (50% of max)': rate,
          'duration s': Math.round(durationMs / 1000),
          'throughput drift %': round(thrDrift * 100, 1),
          'p99 drift % (start + run)': round(p99Drift * 100, 1),
          'peak dead tuples, first half (jobs+runs+steps)': deadFirst,
          'peak dead tuples, second half': deadSecond,
          'dead tuples bounded (1 = yes)': bounded ? 1 : 0,
          'peak dead tuples in the job table': peak(usable, (w) => w.jobsDead),
          'autovacuums of the job / run table': `${windows.at(-1)?.jobVacuums ?? 0} / ${windows.at(-1)?.runVacuums ?? 0}`,
          'RSS MiB first / last window': `${usable[0]?.rssMiB ?? 0} / ${usable.at(-1)?.rssMiB ?? 0}`,
          'HTTP errors': load.errors,
          'anchor: pg-boss median dead tuples at 200 jobs/s': 64990,
        },
        targets: [
          target('throughput drift %', thrDrift * 100, '<=', 5),
          target('p99 drift % (start + run)', p99Drift * 100, '<=', 20),
          target('dead tuples bounded (1 = yes)', bounded ? 1 : 0, '>=', 1),
        ],
        notes: [
          b.soakMs ? `soak of ${Math.round(b.soakMs / 60000)} min` : 'a short soak (use --soak 2h for the full one)',
          'drift compares the median of the first three windows (after a warm-up window) with the last three',
        ],
      };
    } finally {
      await p.close();
    }
  },
};
