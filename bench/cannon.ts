// autocannon in a child process of its own (so that it never shares an event loop with the server it
// measures), over one or several paths of one origin. With `rate`, requests leave at that overall rate
// and latencies are corrected for coordinated omission (autocannon's default).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface CannonSpec {
  origin: string;
  paths: string[];
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** `[<id>]` in the body becomes a fresh id per request. */
  body?: string;
  connections: number;
  pipelining?: number;
  seconds: number;
  rate?: number;
}

export interface CannonResult {
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function fire(spec: CannonSpec): Promise<CannonResult> {
  let k = 0;
  const r = await autocannon({
    url: spec.origin,
    connections: spec.connections,
    pipelining: spec.pipelining ?? 1,
    duration: spec.seconds,
    overallRate: spec.rate,
    idReplacement: spec.body?.includes('[<id>]') ?? false,
    requests: [
      {
        method: spec.method ?? 'GET',
        path: spec.paths[0],
        headers: spec.headers,
        body: spec.body,
        setupRequest: (req) => ({ ...req, path: spec.paths[k++ % spec.paths.length] }),
      },
    ],
  });
  return {
    requestsPerSecond: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

export function cannon(spec: CannonSpec): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    child.once('message', (m) => {
      resolve(m as CannonResult);
      child.kill();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code) reject(new Error(`autocannon exited with ${code}`));
    });
    child.send(spec);
  });
}

if (process.argv.includes('--child')) {
  process.once('message', (spec) => {
    fire(spec as CannonSpec).then(
      (r) => process.send!(r),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}
