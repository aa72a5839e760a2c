// `npm run chaos:sandbox`: the sandbox soak. 10,000 runs (SOAK_RUNS) of a seeded mix of ordinary code, host
// calls, logs, script errors, invalid output, stack overflows, timeouts and memory bombs through the pool,
// checking each result's kind, then the process memory: it must not grow. Also measures the per-run overhead
// of a trivial script on a cold and on a warm worker, and throughput. Prints its figures; exits 1 on a breach.
// Not part of `npm test` (it takes a few minutes on 2 cores).
import { availableParallelism } from 'node:os';
import { AppError } from '../server/src/core/errors.js';
import {
  closeSandboxPool,
  configureSandboxPool,
  type HostCall,
  runSandboxed,
  type SandboxLimits,
  sandboxPoolStats,
} from '../server/src/modules/runs/sandbox/sandbox.js';

const RUNS = Number(process.env.SOAK_RUNS ?? 10_000);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? availableParallelism());
/** Allowed growth of RSS over the soak, after the warm-up. */
const MAX_GROWTH_MIB = 32;
const MiB = 1024 * 1024;

const breaches: string[] = [];
const log = (s = '') => process.stdout.write(`${s}\n`);
const rssMiB = () => process.memoryUsage().rss / MiB;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** mulberry32: a small seeded generator, so a failing mix can be replayed with SOAK_SEED. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hostCalls: Record<string, HostCall> = {
  echo: async (args) => args,
  fail: async () => {
    throw new AppError('not_found', 'The task was not found.');
  },
};

interface Kind {
  name: string;
  weight: number;
  source: string;
  limits?: Partial<SandboxLimits>;
  /** `ok` or the error kind the run must end with (several when either is right). */
  expect: string[];
}
const KINDS: Kind[] = [
  {
    name: 'compute + host call + log',
    weight: 60,
    source: `async function main(input, platform) {
      const r = await platform.call('echo', { n: input.n, list: Array.from({ length: 50 }, (_, i) => i) });
      platform.log('n is', input.n);
      return { sum: r.list.reduce((a, b) => a + b, 0) + r.n, text: 'x'.repeat(input.n % 200) };
    }`,
    expect: ['ok'],
  },
  {
    name: 'host error caught',
    weight: 8,
    source: `async function main(input, platform) { try { await platform.call('fail') } catch (e) { return e.code } }`,
    expect: ['ok'],
  },
  { name: 'script error', weight: 8, source: 'async function main() { null.x }', expect: ['script'] },
  { name: 'invalid output', weight: 5, source: 'async function main() { return { f() {} } }', expect: ['invalid_output'] },
  { name: 'stack overflow', weight: 5, source: 'async function main() { function f() { return f() } f() }', expect: ['stack'] },
  { name: 'never settles', weight: 3, source: 'async function main() { await new Promise(() => {}) }', expect: ['script'] },
  {
    name: 'log flood',
    weight: 3,
    source: `async function main(input, platform) { for (let i = 0; i < 20000; i++) platform.log('line', i); return 1 }`,
    expect: ['ok'],
  },
  {
    name: 'host-call flood',
    weight: 2,
    source: `async function main(input, platform) { for (;;) await platform.call('echo', 1) }`,
    limits: { maxHostCalls: 50 },
    expect: ['host'],
  },
  { name: 'CPU loop', weight: 2, source: 'async function main() { while (true) {} }', limits: { timeoutMs: 100 }, expect: ['timeout'] },
  {
    name: 'memory bomb',
    weight: 2,
    source: 'async function main() { const a = []; for (;;) a.push(new Float64Array(1e5)) }',
    limits: { memoryBytes: 32 * MiB },
    expect: ['memory'],
  },
  {
    name: 'big but allowed',
    weight: 2,
    source: 'async function main() { const a = []; for (let i = 0; i < 30; i++) a.push(new Float64Array(1e5)); return a.length }',
    expect: ['ok'],
  },
];
const totalWeight = KINDS.reduce((n, k) => n + k.weight, 0);

function pick(r: () => number): Kind {
  let x = r() * totalWeight;
  for (const k of KINDS) {
    x -= k.weight;
    if (x < 0) return k;
  }
  return KINDS[0]!;
}

async function trivial() {
  const t = performance.now();
  const r = await runSandboxed({ source: 'async function main(input) { return input + 1 }', input: 1, hostCalls: {} });
  if (!r.ok) breaches.push(`trivial run failed: ${r.error.kind} ${r.error.message}`);
  return { ms: performance.now() - t, cold: r.stats.coldStart };
}

async function overhead() {
  configureSandboxPool({ concurrency: 1 });
  const cold: number[] = [];
  for (let i = 0; i < 20; i++) {
    await closeSandboxPool();
    cold.push((await trivial()).ms);
  }
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) await trivial();
  for (let i = 0; i < 1000; i++) warm.push((await trivial()).ms);
  cold.sort((a, b) => a - b);
  warm.sort((a, b) => a - b);
  log('Per-run overhead of a trivial script (end to end: queue, worker, fresh QuickJS instance, result):');
  log(`  cold (new worker):  p50 ${pct(cold, 50).toFixed(1)} ms, p90 ${pct(cold, 90).toFixed(1)} ms (20 runs)`);
  log(
    `  warm (pooled):      p50 ${pct(warm, 50).toFixed(2)} ms, p90 ${pct(warm, 90).toFixed(2)} ms, p99 ${pct(warm, 99).toFixed(2)} ms (1,000 runs)`,
  );

  await closeSandboxPool();
  configureSandboxPool({ concurrency: CONCURRENCY });
  await Promise.all(Array.from({ length: CONCURRENCY }, trivial));
  const n = 2000;
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY * 2 }, async () => {
      while (next++ < n) await trivial();
    }),
  );
  const secs = (performance.now() - t) / 1000;
  log(`  throughput:         ${Math.round(n / secs)} trivial runs/s with concurrency ${CONCURRENCY}`);
}

async function soak() {
  await closeSandboxPool();
  configureSandboxPool({ concurrency: CONCURRENCY });
  const r = rng(SEED);
  const plan = Array.from({ length: RUNS }, () => pick(r));
  const counts = new Map<string, { runs: number; wrong: number; ms: number }>();
  const samples: Array<{ done: number; rss: number }> = [];
  const warmup = Math.min(1000, Math.floor(RUNS / 10));
  let done = 0;
  let next = 0;
  const t0 = performance.now();
  log();
  log(`Soak: ${RUNS} runs, seed ${SEED}, concurrency ${CONCURRENCY}`);
  log('  runs     RSS MiB   workers started/discarded');
  await Promise.all(
    Array.from({ length: CONCURRENCY * 2 }, async () => {
      for (let i = next++; i < RUNS; i = next++) {
        const kind = plan[i]!;
        const t = performance.now();
        const res = await runSandboxed({ source: kind.source, input: { n: i }, hostCalls, limits: kind.limits });
        const got = res.ok ? 'ok' : res.error.kind;
        const c = counts.get(kind.name) ?? { runs: 0, wrong: 0, ms: 0 };
        c.runs++;
        c.ms += performance.now() - t;
        if (!kind.expect.includes(got)) {
          c.wrong++;
          if (c.wrong <= 3)
            breaches.push(`run ${i} (${kind.name}): expected ${kind.expect.join('|')}, got ${got}: ${res.ok ? '' : res.error.message}`);
        }
        counts.set(kind.name, c);
        done++;
        if (done % 500 === 0 || done === warmup) {
          const s = sandboxPoolStats();
          samples.push({ done, rss: rssMiB() });
          if (done % 1000 === 0)
            log(`  ${String(done).padStart(6)}   ${rssMiB().toFixed(0).padStart(7)}   ${s.workersStarted}/${s.workersDiscarded}`);
        }
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  log();
  log('  kind                         runs   wrong   mean ms');
  for (const k of KINDS) {
    const c = counts.get(k.name) ?? { runs: 0, wrong: 0, ms: 0 };
    log(
      `  ${k.name.padEnd(27)} ${String(c.runs).padStart(6)} ${String(c.wrong).padStart(7)} ${(c.ms / Math.max(1, c.runs)).toFixed(1).padStart(9)}`,
    );
  }
  // RSS moves by a few tens of MiB as workers are replaced; growth is the trend, not one sample: the mean
  // of the last third of the samples after the warm-up against the mean of the first third.
  const afterWarmup = samples.filter((x) => x.done >= warmup).map((x) => x.rss);
  const third = Math.max(1, Math.floor(afterWarmup.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const first = mean(afterWarmup.slice(0, third));
  const last = mean(afterWarmup.slice(-third));
  const peak = Math.max(...afterWarmup);
  const growth = last - first;
  log();
  log(`  ${RUNS} runs in ${secs.toFixed(1)} s (${Math.round(RUNS / secs)} runs/s)`);
  log(
    `  RSS after the warm-up (${warmup} runs): first third ${first.toFixed(0)} MiB, last third ${last.toFixed(0)} MiB, peak ${peak.toFixed(0)} MiB`,
  );
  log(`  growth ${growth.toFixed(1)} MiB (allowed ${MAX_GROWTH_MIB} MiB)`);
  const s = sandboxPoolStats();
  log(`  workers started ${s.workersStarted}, discarded ${s.workersDiscarded}, env vars seen by workers ${s.workerEnvVars}`);
  if (growth > MAX_GROWTH_MIB) breaches.push(`RSS grew by ${growth.toFixed(1)} MiB over the soak`);
  if (s.workerEnvVars !== 0) breaches.push('a worker saw environment variables');
}

await overhead();
await soak();
await closeSandboxPool();
log();
if (breaches.length) {
  log(`BREACHES (${breaches.length}):`);
  for (const b of breaches) log(`  ${b}`);
  process.exit(1);
}
log('No breach.');
