import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { deliverEmail, sendDailyDigests, sendPush } from './notifications.service.js';

export const deliverEmailJob = defineJob({
  name: 'notifications.deliver-email',
  schema: z.object({ emailId: z.uuid() }),
  options: { maxAttempts: 8, queueName: undefined },
  handler: (ctx, { emailId }) => deliverEmail(ctx, emailId),
});

export const sendDigestsJob = defineJob({
  name: 'notifications.send-digests',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    await sendDailyDigests(ctx);
  },
});

export const sendPushJob = defineJob({
  name: 'notifications.send-push',
  schema: z.object({ notificationId: z.uuid() }),
  options: { maxAttempts: 3 },
  handler: async (ctx, p) => {
    await sendPush(ctx, p.notificationId);
  },
});
