import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { makeWorkerUtils, type Runner, run, type Task, type TaskList, Logger as WorkerLogger, type WorkerUtils } from 'graphile-worker';
import { sql } from 'kysely';
import pg from 'pg';
import { systemCtx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import type { Logger } from '#core/logger.js';
import { closeSandboxPool } from '#modules/runs/index.js';
import type { Deps } from './deps.js';

type WorkerEvents = NonNullable<Parameters<typeof run>[0]['events']>;

export interface WorkerHandle {
  readonly nodeId: string;
  /** The current job runner (a new one after graphile-worker ended one by itself). */
  readonly runner: Runner;
  /** How many times the runner was started again. */
  readonly runnerRestarts: number;
  stop(): Promise<void>;
}

export interface StartWorkerOptions {
  databaseUrl: string;
  concurrency?: number;
  /** How often this process reports that it is alive, and after how long a silent one counts as dead. */
  heartbeatMs?: number;
  deadAfterMs?: number;
  pollInterval?: number;
  /** Overrides every ticker's interval (tests). */
  tickerIntervalMs?: number;
  /**
   * Jobs this process locks and holds ready at once (graphile-worker's local queue; 0: fetch one job per
   * free slot). See bench/README.md for the measurements behind the default.
   */
  localQueueSize?: number;
  /** Completions written together within this many ms (-1: each on its own). */
  completeJobBatchDelay?: number;
}

function workerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fields = { scope: { label: scope.label, taskIdentifier: scope.taskIdentifier, jobId: scope.jobId }, ...(meta ?? {}) };
    if (level === 'error') log.error(fields, message);
    else if (level === 'warning') log.warn(fields, message);
    else if (level === 'info') log.debug(fields, message);
  });
}

/** Every module's jobs as graphile-worker tasks: the payload is validated, and the handler gets a system ctx. */
export function buildTaskList(deps: Deps): TaskList {
  const tasks: TaskList = {};
  for (const m of deps.modules) {
    for (const job of m.jobs ?? []) {
      const task: Task = async (payload, helpers) => {
        const parsed = job.schema.safeParse(payload);
        if (!parsed.success) {
          // A malformed payload will never succeed: log and drop rather than retry for hours.
          deps.log.error(
            { job: job.name, jobId: helpers.job.id, issues: parsed.error.issues.slice(0, 3) },
            'job payload is not valid; dropped',
          );
          return;
        }
        const log = deps.log.child({ job: job.name, jobId: helpers.job.id });
        await job.handler(systemCtx(deps, log), parsed.data, {
          jobId: helpers.job.id,
          attempts: helpers.job.attempts,
          maxAttempts: helpers.job.max_attempts,
          signal: helpers.abortSignal ?? new AbortController().signal,
        });
      };
      tasks[job.name] = task;
      // graphile-worker's crontab does not accept dots in task names: cron items use this alias.
      tasks[cronAlias(job.name)] = task;
    }
  }
  return tasks;
}

const cronAlias = (name: string) => name.replace('.', ':');

function buildCrontab(deps: Deps): string {
  const lines: string[] = [];
  for (const m of deps.modules) {
    for (const c of m.cron ?? []) {
      const opts = c.backfillMinutes ? ` ?fill=${c.backfillMinutes}m` : '';
      lines.push(`${c.pattern} ${cronAlias(c.job.name)}${opts}`);
    }
  }
  return lines.join('\n');
}

/**
 * Unlocks the jobs locked by this process's pools that it is not running (and their queues), once
 * their lock is older than `olderThanMs`: their outcome was lost with the database connection, so
 * they run again (every handler is idempotent and re-checks its preconditions). Returns how many.
 */
async function releaseOwnStaleLocks(deps: Deps, lockIds: string[], running: string[], olderThanMs: number): Promise<number> {
  return deps.db.transaction().execute(async (tx) => {
    const jobs = await sql<{ id: string }>`
      update graphile_worker._private_jobs set locked_by = null, locked_at = null
      where locked_by = any(${lockIds}::text[]) and not (id = any(${running}::bigint[]))
        and locked_at < now() - make_interval(secs => ${olderThanMs / 1000})
      returning id`.execute(tx);
    await sql`
      update graphile_worker._private_job_queues as q set locked_by = null, locked_at = null
      where q.locked_by = any(${lockIds}::text[]) and q.locked_at < now() - make_interval(secs => ${olderThanMs / 1000})
        and not exists (select 1 from graphile_worker._private_jobs j where j.job_queue_id = q.id and j.locked_by = q.locked_by)`.execute(
      tx,
    );
    return jobs.rows.length;
  });
}

/**
 * Starts graphile-worker with every module's jobs. A heartbeat row per process lets the others
 * release the jobs of a process that died (kill -9) within a minute; graphile-worker alone keeps
 * them locked for 4 hours.
 */
export async function startWorker(deps: Deps, opts: StartWorkerOptions): Promise<WorkerHandle> {
  const nodeId = `node-${newId()}`;
  const heartbeatMs = opts.heartbeatMs ?? deps.config.worker.heartbeatMs;
  const deadAfterMs = opts.deadAfterMs ?? deps.config.worker.deadAfterMs;
  // Workers need session connections (LISTEN/NOTIFY), separate from the API pool.
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: (opts.concurrency ?? deps.config.worker.concurrency) + 4,
    application_name: 'csme-worker',
    idle_in_transaction_session_timeout: deps.config.db.idleTransactionTimeoutMs,
  });
  pool.on('error', (e) => deps.log.warn({ err: { message: e.message } }, 'worker database connection lost'));
  pool.on('connect', (client) => client.on('error', () => {}));
  /** What graphile-worker writes in `locked_by`: in 0.17 the id of the pool (its workers' ids are kept too). */
  const lockIds = new Set<string>();
  const localQueueSize = opts.localQueueSize ?? 0;
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: pool, logger: workerLogger(deps.log) });

  await sql`insert into worker_node (id, role, hostname, pid) values (${nodeId}, 'worker', ${hostname()}, ${process.pid})`.execute(deps.db);

  let stopped = false;
  const beat = async () => {
    if (stopped) return;
    try {
      // An upsert: a process that was frozen past its lease (its row reaped, its jobs given away) comes
      // back as a live node, so the jobs it takes from now on are not mistaken for a dead process's.
      const r = await sql<{ revived: boolean }>`
        insert into worker_node as n (id, role, hostname, pid, worker_ids) values (${nodeId}, 'worker', ${hostname()}, ${process.pid}, ${[...lockIds]}::text[])
        on conflict (id) do update set last_seen_at = now(), worker_ids = excluded.worker_ids
        returning (xmax = 0) as revived`.execute(deps.db);
      if (r.rows[0]?.revived && lockIds.size)
        deps.log.warn({ nodeId }, 'this worker was silent past its lease (its jobs went to other workers); it registered again');
    } catch (e) {
      deps.log.warn({ err: { message: (e as Error).message } }, 'worker heartbeat failed');
    }
  };
  // Listen before the pool starts: its workers are created inside run(). graphile-worker 0.17 locks jobs
  // in the name of the pool (locked_by = the pool's id), so the pool's id is what the heartbeat must carry:
  // without it, a job of a live process running longer than deadAfterMs looked orphaned and was released
  // (and run a second time elsewhere); the workers' own ids are kept too.
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  events.on('pool:create', ({ workerPool }) => {
    lockIds.add(workerPool.id);
    void beat();
  });
  events.on('pool:release', ({ workerPool }) => {
    lockIds.delete(workerPool.id);
  });
  events.on('worker:create', ({ worker }) => {
    lockIds.add(worker.workerId);
    void beat();
  });
  // The jobs this process is running now. graphile-worker records a job's outcome without awaiting it
  // (0.17: `completeJob(job)` / `failJob(...)` in worker.js); when PostgreSQL goes away at that moment the
  // job stays locked by this live process, for 4 hours. `reap` releases such locks of its own.
  const inFlight = new Set<string>();
  events.on('job:start', ({ job }) => {
    inFlight.add(job.id);
  });
  events.on('job:complete', ({ job }) => {
    inFlight.delete(job.id);
  });
  const runnerOptions: Parameters<typeof run>[0] = {
    events,
    pgPool: pool,
    concurrency: opts.concurrency ?? deps.config.worker.concurrency,
    taskList: buildTaskList(deps),
    crontab: buildCrontab(deps),
    noHandleSignals: true,
    pollInterval: opts.pollInterval ?? 2000,
    logger: workerLogger(deps.log),
    useNodeTime: false,
    preset: {
      worker: {
        ...(localQueueSize > 1 ? { localQueue: { size: localQueueSize, ttl: 60_000 } } : {}),
        completeJobBatchDelay: opts.completeJobBatchDelay ?? 0,
      },
    },
  };
  // graphile-worker ends its runner by itself when the database stays away long enough (a completion
  // it could not record after its retries, a worker loop that failed, cron that could not reach the
  // database). With every other timer unref'd the process would then simply exit (code 0) and take no
  // more jobs; it starts a new runner instead, as soon as the database answers again.
  let runner = await run(runnerOptions);
  const supervise = (r: Runner) => {
    r.promise.then(
      () => restartRunner(undefined),
      (e: unknown) => restartRunner(e),
    );
  };
  const restartRunner = async (cause: unknown) => {
    if (stopped) return;
    deps.log.error(
      { err: { message: cause instanceof Error ? cause.message : 'ended cleanly' } },
      'the job runner stopped by itself; starting a new one',
    );
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const next = await run(runnerOptions);
        if (stopped) {
          await next.stop();
          return;
        }
        runner = next;
        runnerRestarts++;
        supervise(next);
        deps.log.warn({ restarts: runnerRestarts }, 'the job runner is running again');
        return;
      } catch (e) {
        deps.log.warn({ err: { message: (e as Error).message }, attempt }, 'the job runner could not start yet; trying again');
        await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)));
      }
    }
  };
  let runnerRestarts = 0;
  supervise(runner);

  const reap = async () => {
    if (stopped) return;
    try {
      const dead = await sql<{ id: string; worker_ids: string[] }>`
        delete from worker_node where last_seen_at < now() - make_interval(secs => ${deadAfterMs / 1000}) and id <> ${nodeId}
        returning id, worker_ids`.execute(deps.db);
      // Also locks no live process claims (killed before its first heartbeat): they are old.
      const orphans = await sql<{ locked_by: string }>`
        select distinct locked_by from graphile_worker._private_jobs
        where locked_by is not null and locked_at < now() - make_interval(secs => ${deadAfterMs / 1000})
          and not exists (select 1 from worker_node n where _private_jobs.locked_by = any(n.worker_ids))`.execute(deps.db);
      const ids = [...new Set([...dead.rows.flatMap((r) => r.worker_ids), ...orphans.rows.map((r) => r.locked_by)])];
      if (ids.length) {
        await utils.forceUnlockWorkers(ids);
        deps.log.warn({ nodes: dead.rows.map((r) => r.id), workers: ids.length }, 'released the jobs of dead workers');
      }
      if (lockIds.size) {
        const stale = await releaseOwnStaleLocks(deps, [...lockIds], [...inFlight], deadAfterMs);
        if (stale) deps.log.warn({ jobs: stale }, 'released jobs whose outcome this worker could not record (the database was away)');
      }
    } catch (e) {
      deps.log.warn({ err: { message: (e as Error).message } }, 'dead worker check failed');
    }
  };
  await beat();
  await reap();
  const timer = setInterval(() => {
    void beat().then(reap);
  }, heartbeatMs);
  timer.unref();
  const background = deps.modules.flatMap((m) =>
    m.background ? [m.background(systemCtx(deps, deps.log.child({ background: m.name })))] : [],
  );

  // Tickers (the scheduler): each runs again only after its previous round finished.
  const tickerTimers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  for (const m of deps.modules) {
    for (const t of m.tickers ?? []) {
      let busy = false;
      const tick = () => {
        if (busy || stopped) return;
        busy = true;
        const p = t
          .run(systemCtx(deps, deps.log.child({ ticker: t.name })))
          .catch((e) => deps.log.warn({ ticker: t.name, err: { message: (e as Error).message } }, 'ticker round failed'))
          .finally(() => {
            busy = false;
            running.delete(p);
          });
        running.add(p);
      };
      const h = setInterval(tick, opts.tickerIntervalMs ?? t.intervalMs);
      h.unref();
      tickerTimers.push(h);
      tick();
    }
  }

  return {
    nodeId,
    get runner() {
      return runner;
    },
    get runnerRestarts() {
      return runnerRestarts;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      for (const h of tickerTimers) clearInterval(h);
      await Promise.all([...running]);
      await Promise.all(background.map((b) => b.stop().catch(() => undefined)));
      await runner.stop().catch(() => undefined);
      await closeSandboxPool();
      await sql`delete from worker_node where id = ${nodeId}`.execute(deps.db).catch(() => {});
      await utils.release();
      await pool.end();
    },
  };
}
