import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { deliverEmail } from './notifications.service.js';

export const deliverEmailJob = defineJob({
  name: 'notifications.deliver-email',
  schema: z.object({ emailId: z.uuid() }),
  options: { maxAttempts: 8, queueName: undefined },
  handler: (ctx, { emailId }) => deliverEmail(ctx, emailId),
});
