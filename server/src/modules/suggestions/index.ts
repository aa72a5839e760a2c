// Suggestions: actions agents propose, the inbox where people approve, edit or reject them, and the
// action executor that performs each approved action at most once. It does not decide what to propose.
import type { ModuleDef } from '#core/module.js';
import { suggestionsSetting } from './suggestions.config.js';
import { executeActionJob, expireSuggestionsJob } from './suggestions.jobs.js';
import { suggestionsRoutes } from './suggestions.routes.js';
import { endAbandonedActions } from './suggestions.service.js';

export { actionHash } from './suggestions.policy.js';
export { dismissPendingAbout } from './suggestions.repository.js';
export { createSuggestion } from './suggestions.service.js';

export const suggestionsModule: ModuleDef = {
  name: 'suggestions',
  routes: suggestionsRoutes,
  jobs: [executeActionJob, expireSuggestionsJob],
  cron: [{ job: expireSuggestionsJob, pattern: '*/5 * * * *' }],
  settings: [suggestionsSetting],
  tickers: [
    {
      name: 'abandoned-actions',
      intervalMs: 10_000,
      run: async (ctx) => {
        await endAbandonedActions(ctx);
      },
    },
  ],
};
