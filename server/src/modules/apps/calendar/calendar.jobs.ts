import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { announceUpcomingEntries } from './calendar.service.js';

/** Hourly: own events (repeats included) coming within 7 days raise `calendar.event_upcoming` once per occurrence. */
export const announceEventsJob = defineJob({
  name: 'apps.announce-events',
  schema: z.object({}).passthrough(),
  handler: (ctx) => announceUpcomingEntries(ctx),
});
