import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { fireDueReminders, fireReminder } from './reminders.service.js';

/** One job per due time, keyed `reminder:<id>`: rescheduling (snooze, edit, next occurrence) replaces it. */
export const fireReminderJob = defineJob({
  name: 'apps.fire-reminder',
  schema: z.object({ spaceId: z.uuid(), reminderId: z.uuid() }),
  options: { maxAttempts: 10 },
  handler: async (ctx, p) => {
    await fireReminder(ctx, p.spaceId, p.reminderId);
  },
});

/** The safety net: fires what is due and has not fired (a job lost with a restored backup, a clock step). */
export const sweepRemindersJob = defineJob({
  name: 'apps.sweep-reminders',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    await fireDueReminders(ctx);
  },
});
