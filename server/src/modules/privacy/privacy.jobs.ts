import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { buildExport, listDueDeletions, purgeHistory, runDeletion } from './privacy.service.js';

export const buildExportJob = defineJob({
  name: 'privacy.build-export',
  schema: z.object({ exportId: z.uuid() }),
  options: { maxAttempts: 3 },
  handler: (ctx, p) => buildExport(ctx, p.exportId),
});

export const deleteAccountJob = defineJob({
  name: 'privacy.delete-account',
  schema: z.object({ deletionId: z.uuid() }),
  options: { maxAttempts: 25 },
  handler: async (ctx, p, helpers) => {
    await runDeletion(ctx, p.deletionId, { jobId: helpers.jobId });
  },
});

/** Daily: history beyond each space's window, expired export archives; and deletions whose job was lost. */
export const purgeHistoryJob = defineJob({
  name: 'privacy.purge-history',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    for (const d of await listDueDeletions(ctx.deps.db, ctx.now())) await runDeletion(ctx, d.id);
    await purgeHistory(ctx);
  },
});
