// An open-loop HTTP load generator that runs in a child process of its own, so that it never shares an
// event loop with the platform it measures. Requests leave at a fixed arrival rate whatever the answers
// do (a slow server makes requests wait in the client's connection queue, and that wait counts in the
// latency: it is measured from the moment each request was due). Bodies may carry `{{i}}` (the request's
// number) and `{{t}}` (the epoch milliseconds when it was due, with fractions), so that the database can
// tell when a trigger arrived.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export interface LoadTarget {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  targets: LoadTarget[];
  /** Requests per second over all targets. */
  rate: number;
  durationMs: number;
  /** Connections per origin (requests beyond them wait in the client, and that wait is counted). */
  connections?: number;
  timeoutMs?: number;
  /** Which targets get which share of the requests (weights; default even). */
  weights?: number[];
}

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  statuses: Record<string, number>;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** Epoch ms of the first and last request due. */
  startedAt: number;
  endedAt: number;
  /** Latencies per target index (p50/p95/p99), for mixed loads. */
  perTarget: Array<{ sent: number; ok: number; p50: number; p95: number; p99: number }>;
}

const pct = (s: number[], p: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : 0);

async function generate(spec: LoadSpec): Promise<LoadResult> {
  const agents = new Map<string, http.Agent>();
  const agentFor = (u: URL) => {
    let a = agents.get(u.host);
    if (!a) {
      a = new http.Agent({ keepAlive: true, maxSockets: spec.connections ?? 64 });
      agents.set(u.host, a);
    }
    return a;
  };
  const parsed = spec.targets.map((t) => ({ ...t, u: new URL(t.url) }));
  const weights = spec.weights ?? parsed.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0);
  // A deterministic interleaving that honours the weights (largest remainder per request).
  const credit = weights.map(() => 0);
  const pick = () => {
    let best = 0;
    for (let k = 0; k < weights.length; k++) {
      credit[k]! += weights[k]! / total;
      if (credit[k]! > credit[best]!) best = k;
    }
    credit[best]! -= 1;
    return best;
  };
  const lat: number[] = [];
  const perTarget = parsed.map(() => ({ sent: 0, ok: 0, lat: [] as number[] }));
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const epoch0 = performance.timeOrigin + t0;
  const interval = 1000 / spec.rate;
  const pending = new Set<Promise<void>>();
  let i = 0;
  const fire = (n: number, dueAt: number) => {
    const k = pick();
    const t = parsed[k]!;
    const dueEpoch = performance.timeOrigin + dueAt;
    const body = t.body?.replaceAll('{{i}}', String(n)).replaceAll('{{t}}', dueEpoch.toFixed(3));
    perTarget[k]!.sent++;
    const p = new Promise<void>((resolve) => {
      const req = http.request(
        {
          host: t.u.hostname,
          port: t.u.port,
          path: t.u.pathname + t.u.search,
          method: t.method,
          agent: agentFor(t.u),
          headers: { ...(t.headers ?? {}), ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
          timeout: spec.timeoutMs ?? 30_000,
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            const ms = performance.now() - dueAt;
            const code = String(res.statusCode);
            statuses[code] = (statuses[code] ?? 0) + 1;
            if (res.statusCode && res.statusCode < 400) {
              ok++;
              perTarget[k]!.ok++;
              lat.push(ms);
              perTarget[k]!.lat.push(ms);
            } else errors++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        const code = `net:${(e as NodeJS.ErrnoException).code ?? e.message}`;
        statuses[code] = (statuses[code] ?? 0) + 1;
        errors++;
        resolve();
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  while (performance.now() - t0 < spec.durationMs) {
    const elapsed = performance.now() - t0;
    const due = Math.min(Math.floor(elapsed / interval) + 1, Math.ceil(spec.durationMs / interval));
    while (i < due) {
      fire(i, t0 + i * interval);
      i++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all([...pending]);
  for (const a of agents.values()) a.destroy();
  lat.sort((a, b) => a - b);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    sent: i,
    ok,
    errors,
    statuses,
    latencyMs: { p50: r2(pct(lat, 50)), p90: r2(pct(lat, 90)), p99: r2(pct(lat, 99)), max: r2(lat.at(-1) ?? 0) },
    startedAt: epoch0,
    endedAt: epoch0 + i * interval,
    perTarget: perTarget.map((p) => {
      p.lat.sort((a, b) => a - b);
      return { sent: p.sent, ok: p.ok, p50: r2(pct(p.lat, 50)), p95: r2(pct(p.lat, 95)), p99: r2(pct(p.lat, 99)) };
    }),
  };
}

/** Runs one load in a fresh child process and returns what it measured. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    child.once('message', (m) => {
      resolve(m as LoadResult);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code) reject(new Error(`the load generator exited with ${code}`));
    });
    child.send(spec);
  });
}

if (process.argv.includes('--child')) {
  process.once('message', (spec) => {
    generate(spec as LoadSpec).then(
      (r) => process.send!(r),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
