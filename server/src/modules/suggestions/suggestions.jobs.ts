import { z } from 'zod';
import { defineJob } from '#core/jobs.js';
import { executeAction, expireSuggestions } from './suggestions.service.js';

export const executeActionJob = defineJob({
  name: 'suggestions.execute-action',
  schema: z.object({ spaceId: z.uuid(), suggestionId: z.uuid() }),
  options: { maxAttempts: 6 },
  handler: (ctx, p, h) => executeAction(ctx, p.spaceId, p.suggestionId, { attempt: h.attempts, maxAttempts: h.maxAttempts }),
});

export const expireSuggestionsJob = defineJob({
  name: 'suggestions.expire-suggestions',
  schema: z.object({}).passthrough(),
  handler: async (ctx) => {
    await expireSuggestions(ctx);
  },
});
