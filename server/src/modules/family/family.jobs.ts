import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { sendWeeklyDigests, sweepFamilySpaces } from './family.service.js';

/** Hourly: family spaces whose Family plan ended become read-only; those past their read-only days are deleted. */
export const sweepSpacesJob = defineJob({
  name: 'family.sweep-spaces',
  schema: z.object({}).passthrough(),
  options: { maxAttempts: 3 },
  handler: async (ctx) => {
    const r = await sweepFamilySpaces(ctx);
    if (r.readOnly || r.deleted) ctx.log.info(r, 'family spaces swept');
  },
});

/** Weekly (Sunday 17:00 UTC): each member of each family gets what concerns them in the coming week. */
export const sendDigestJob = defineJob({
  name: 'family.send-digest',
  schema: z.object({}).passthrough(),
  options: { maxAttempts: 1 },
  handler: async (ctx) => {
    const sent = await sendWeeklyDigests(ctx);
    ctx.log.info({ sent }, 'family digests sent');
  },
});
