import { z } from 'zod';
import { defineJob } from '#core/jobs.js';

// Handlers import the service lazily: the service adds these jobs, so a static import would be circular.

/** After a version is approved: move installations that granted everything it asks for; tell the others. */
export const offerUpdateJob = defineJob({
  name: 'marketplace.offer-update',
  schema: z.object({ packId: z.string(), versionId: z.uuid() }),
  handler: async (ctx, p) => {
    const { offerUpdate } = await import('./marketplace.service.js');
    await offerUpdate(ctx, p.packId, p.versionId);
  },
});

/** Monthly: the payouts of the month that ended. */
export const runPayoutsJob = defineJob({
  name: 'marketplace.run-payouts',
  schema: z.object({}).loose(),
  handler: async (ctx) => {
    const { runLastMonthPayouts } = await import('./marketplace.service.js');
    await runLastMonthPayouts(ctx);
  },
});

/** Daily: monthly packs that were not paid for another month lapse (their installations pause). */
export const lapsePurchasesJob = defineJob({
  name: 'marketplace.lapse-purchases',
  schema: z.object({}).loose(),
  handler: async (ctx) => {
    const { lapseUnpaid } = await import('./marketplace.service.js');
    const n = await lapseUnpaid(ctx);
    if (n) ctx.log.info({ lapsed: n }, 'monthly packs lapsed');
  },
});
