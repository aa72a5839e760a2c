import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { processProviderEvent, sweepBilling } from './billing.service.js';

/** One stored provider event. All of them run in the `billing` queue, one at a time (single flight). */
export const processEventJob = defineJob({
  name: 'billing.process-event',
  schema: z.object({ eventId: z.uuid() }),
  options: { maxAttempts: 12, queueName: 'billing' },
  handler: (ctx, p) => processProviderEvent(ctx, p.eventId),
});

/** Renewals, scheduled changes, past-due grace, stale invoices (idempotent; safe to run at any time). */
export const sweepBillingJob = defineJob({
  name: 'billing.sweep-subscriptions',
  schema: z.object({}).passthrough(),
  options: { maxAttempts: 3, queueName: 'billing' },
  handler: async (ctx) => {
    await sweepBilling(ctx);
  },
});
