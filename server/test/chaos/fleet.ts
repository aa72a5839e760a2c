import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { CrashPoint } from '../../src/core/faults.js';
import { ROOT, type World } from './world.js';

/**
 * Worker processes as production runs them (`csme serve --role worker`) on the suite's database,
 * each with a short heartbeat so that a dead one's jobs are released within seconds. A worker may
 * carry a test crash point (core/faults.ts): it then kills or freezes itself at that boundary.
 */

export interface CrashPlan {
  after: number;
  points: CrashPoint[];
  mode: 'kill' | 'freeze';
}

export interface WorkerProc {
  readonly n: number;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly crash: CrashPlan | null;
  readonly startedAt: number;
  readyAt: number | null;
  exit: { code: number | null; signal: NodeJS.Signals | null; at: number } | null;
  /** The boundary at which it killed or froze itself, from its own last words. */
  crashedAt: CrashPoint | null;
  readonly exited: Promise<void>;
  readonly ready: Promise<void>;
  stderr: string[];
}

export interface FleetOptions {
  concurrency?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  /** Replaces some of the world's environment (a DATABASE_URL through a faulty proxy). */
  env?: Record<string, string>;
}

/** Every worker process any fleet started, so that a scenario that stopped half way leaves none behind. */
const started = new Set<WorkerProc>();

/** Kills (-9) the worker processes still there after a scenario; returns how many there were. */
export function killStrayWorkers(): number {
  let n = 0;
  for (const w of started) {
    if (w.exit === null) {
      w.child.kill('SIGKILL');
      n++;
    }
    started.delete(w);
  }
  return n;
}

// Also when the suite's own process ends (a vitest fork torn down, an error thrown past the clean-up).
process.once('exit', () => killStrayWorkers());

export class Fleet {
  readonly all: WorkerProc[] = [];
  private readonly world: World;
  private readonly opts: Required<FleetOptions>;
  constructor(world: World, opts: FleetOptions = {}) {
    this.world = world;
    this.opts = { concurrency: 4, heartbeatMs: 300, deadAfterMs: 2000, env: {}, ...opts };
  }

  spawn(crash: CrashPlan | null = null): WorkerProc {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.world.childEnv,
      ...this.opts.env,
      CSME_WORKER_CONCURRENCY: String(this.opts.concurrency),
      CSME_WORKER_HEARTBEAT_MS: String(this.opts.heartbeatMs),
      CSME_WORKER_DEAD_AFTER_MS: String(this.opts.deadAfterMs),
    };
    for (const k of ['CSME_TEST_CRASH_AFTER', 'CSME_TEST_CRASH_POINTS', 'CSME_TEST_CRASH_MODE']) delete env[k];
    if (crash) {
      env.CSME_TEST_CRASH_AFTER = String(crash.after);
      env.CSME_TEST_CRASH_POINTS = crash.points.join(',');
      env.CSME_TEST_CRASH_MODE = crash.mode;
    }
    const child = spawn(process.execPath, [join(ROOT, 'server/bin/csme.js'), 'serve', '--role', 'worker'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let readyResolve!: () => void;
    const ready = new Promise<void>((r) => {
      readyResolve = r;
    });
    const w: WorkerProc = {
      n: this.all.length,
      child,
      pid: child.pid!,
      crash,
      startedAt: Date.now(),
      readyAt: null,
      exit: null,
      crashedAt: null,
      stderr: [],
      ready,
      exited: new Promise<void>((res) =>
        child.once('exit', (code, signal) => {
          w.exit = { code, signal, at: Date.now() };
          readyResolve();
          res();
        }),
      ),
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (w.readyAt === null && chunk.includes('worker is running')) {
        w.readyAt = Date.now();
        readyResolve();
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        const m = /^csme-test-crash: \w+ at ([a-z.-]+)/.exec(line);
        if (m) w.crashedAt = m[1] as CrashPoint;
        w.stderr.push(line.slice(0, 500));
        if (w.stderr.length > 200) w.stderr.shift();
      }
    });
    this.all.push(w);
    started.add(w);
    return w;
  }

  /** Processes that have not exited (running, starting, or frozen). */
  live(): WorkerProc[] {
    return this.all.filter((w) => w.exit === null);
  }

  signal(w: WorkerProc, sig: NodeJS.Signals): void {
    if (w.exit === null) w.child.kill(sig);
  }

  /** Ends every process still there: SIGCONT for frozen ones, then SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 30_000): Promise<void> {
    const live = this.live();
    for (const w of live) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => {
      for (const w of this.live()) w.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(live.map((w) => w.exited));
    clearTimeout(timer);
  }

  killAll(): void {
    for (const w of this.live()) w.child.kill('SIGKILL');
  }
}

/** What a worker said that is not a log line (an uncaught error's message and stack), for a report. */
export function lastWords(w: WorkerProc): string {
  const plain = w.stderr.filter((l) => !l.startsWith('{"level"'));
  return (plain.length ? plain.slice(-12) : w.stderr.slice(-2)).join(' | ');
}

/** True while the process is stopped (SIGSTOP): state `T` in /proc. */
export function isFrozen(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
}

/** The graphile-worker ids a worker process registered (its heartbeat row), if it has one. */
export async function workerIdsOf(world: World, pid: number): Promise<string[] | null> {
  const r = await sql<{
    worker_ids: string[];
  }>`select worker_ids from worker_node where pid = ${pid} order by started_at desc limit 1`.execute(world.deps.db);
  return r.rows[0]?.worker_ids ?? null;
}

/** Jobs currently locked by any of `workerIds`, with what they are for. */
export async function jobsLockedBy(world: World, workerIds: string[]) {
  if (!workerIds.length) return [];
  const r = await sql<{ id: string; task: string; payload: Record<string, string> }>`
    select j.id::text, t.identifier as task, j.payload from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id
    where j.locked_by = any(${workerIds}::text[])`.execute(world.deps.db);
  return r.rows;
}

/** Where some jobs stand, for a scenario's report when they do not move. */
export async function describeJobs(world: World, ids: string[]): Promise<string> {
  if (!ids.length) return 'none';
  const r = await sql<{
    id: string;
    task: string;
    attempts: number;
    max: number;
    locked_by: string | null;
    run_at: Date;
    err: string | null;
  }>`
    select j.id::text, t.identifier as task, j.attempts, j.max_attempts as max, j.locked_by, j.run_at, left(j.last_error, 200) as err
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where j.id = any(${ids}::bigint[])`.execute(world.deps.db);
  return r.rows
    .map(
      (j) =>
        `${j.task} #${j.id} try ${j.attempts}/${j.max}${j.locked_by ? ` locked by ${j.locked_by}` : ''} at ${j.run_at.toISOString()}${j.err ? `: ${j.err}` : ''}`,
    )
    .join('; ');
}

/** The worker processes and their heartbeat rows, for a scenario's report. */
export async function describeFleet(world: World, fleet: Fleet): Promise<string> {
  const nodes = await sql<{ pid: number; worker_ids: string[]; age: number }>`
    select pid, worker_ids, extract(epoch from now() - last_seen_at)::float as age from worker_node`.execute(world.deps.db);
  return fleet.all
    .map((w) => {
      const node = nodes.rows.find((n) => n.pid === w.pid);
      const state = w.exit ? `exited ${w.exit.code ?? w.exit.signal}` : isFrozen(w.pid) ? 'frozen' : w.readyAt ? 'running' : 'starting';
      return `worker ${w.pid} ${state}${node ? ` (node ${node.worker_ids.join(',')}, seen ${node.age.toFixed(1)} s ago)` : ' (no node)'}${w.stderr.length ? `: ${w.stderr.slice(-2).join(' | ')}` : ''}`;
    })
    .join('; ');
}
