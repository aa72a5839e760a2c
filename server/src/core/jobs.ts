import { sql } from 'kysely';
import type { z } from 'zod';
import type { Ctx } from './ctx.js';
import type { Db } from './db.js';

export interface JobOptions {
  maxAttempts?: number;
  priority?: number;
  queueName?: string;
}

export interface JobHelpers {
  readonly jobId: string;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly signal: AbortSignal;
}

/**
 * A background job. Payloads carry ids only: never secrets or personal content, because a
 * permanently failed job keeps its payload. Handlers are idempotent and re-check their preconditions.
 */
export interface JobDef<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  readonly options?: JobOptions;
  readonly handler: (ctx: Ctx, payload: z.output<S>, helpers: JobHelpers) => Promise<void>;
}

export function defineJob<S extends z.ZodType>(def: JobDef<S>): JobDef<S> {
  if (!/^[a-z]+\.[a-z]+(-[a-z]+)*$/.test(def.name)) throw new Error(`job name ${def.name} must be <module>.<verb>-<noun>`);
  return def;
}

export interface AddJobOptions {
  runAt?: Date;
  jobKey?: string;
  /** 'replace' (default) reschedules a pending job with the same key; 'preserve_run_at' keeps its time; 'unsafe_dedupe' keeps the first. */
  jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe';
  priority?: number;
  maxAttempts?: number;
  queueName?: string;
}

/**
 * Adds a job inside the caller's transaction (both or neither). Works in tenant transactions too:
 * `app_add_job` is the one queue function the csme_app role may call.
 */
export async function addJob<S extends z.ZodType>(db: Db, job: JobDef<S>, payload: z.input<S>, opts: AddJobOptions = {}): Promise<void> {
  const parsed = job.schema.parse(payload);
  await sql`select app_add_job(
      ${job.name}, ${JSON.stringify(parsed)}::json, ${opts.runAt ?? null}::timestamptz,
      ${opts.maxAttempts ?? job.options?.maxAttempts ?? null}::int, ${opts.jobKey ?? null}::text,
      ${opts.priority ?? job.options?.priority ?? null}::int, ${opts.queueName ?? job.options?.queueName ?? null}::text,
      ${opts.jobKeyMode ?? null}::text)`.execute(db);
}

/** Removes a pending job by its key (for example when a schedule is cancelled). */
export async function removeJob(db: Db, jobKey: string): Promise<void> {
  await sql`select graphile_worker.remove_job(${jobKey})`.execute(db);
}
