import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { RUN_MAX_ATTEMPTS } from './runs.policy.js';
import { admitDelayed, dispatchEvent, executeRun, pruneFailedJobs } from './runs.service.js';

export const dispatchEventJob = defineJob({
  name: 'runs.dispatch-event',
  schema: z.object({ spaceId: z.uuid(), eventId: z.uuid() }),
  options: { maxAttempts: 10 },
  handler: (ctx, p) => dispatchEvent(ctx, p.spaceId, p.eventId),
});

export const executeRunJob = defineJob({
  name: 'runs.execute-run',
  schema: z.object({ spaceId: z.uuid(), runId: z.uuid() }),
  options: { maxAttempts: RUN_MAX_ATTEMPTS },
  handler: (ctx, p, h) => executeRun(ctx, p.spaceId, p.runId, h),
});

/** A trigger due later (an event's "30 minutes before"): admitted when its time comes. */
export const admitDelayedJob = defineJob({
  name: 'runs.admit-delayed',
  schema: z.object({
    spaceId: z.uuid(),
    agentId: z.uuid(),
    kind: z.enum(['event', 'schedule']),
    key: z.string().max(300),
    eventId: z.uuid().optional(),
  }),
  options: { maxAttempts: 10 },
  handler: (ctx, p) => admitDelayed(ctx, p),
});

/** Daily: the job table keeps permanently failed jobs; after JOB_RETENTION_DAYS they go (see runs.service). */
export const pruneJobsJob = defineJob({
  name: 'runs.prune-jobs',
  schema: z.object({}).passthrough(),
  options: { maxAttempts: 3 },
  handler: async (ctx) => {
    await pruneFailedJobs(ctx);
  },
});
