import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { sendPromotion } from './promote.service.js';

/** Sends a promoted workflow to connectsoft.io; retried with backoff (about 15 hours in all) while it is down. */
export const sendWorkflowJob = defineJob({
  name: 'promote.send-workflow',
  schema: z.object({ spaceId: z.uuid(), promotionId: z.uuid() }),
  options: { maxAttempts: 12 },
  handler: (ctx, p, h) => sendPromotion(ctx, p.spaceId, p.promotionId, h),
});
