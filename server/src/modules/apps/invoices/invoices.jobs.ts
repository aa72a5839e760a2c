import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { markOverdueInvoices } from './invoices.service.js';

/** Every hour: issued invoices past their due date become overdue and raise `invoice.overdue` (once each). */
export const markOverdueInvoicesJob = defineJob({
  name: 'apps.mark-overdue-invoices',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    const n = await markOverdueInvoices(ctx);
    if (n) ctx.log.info({ count: n }, 'invoices marked overdue');
  },
});
