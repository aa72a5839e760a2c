// Privacy: a person's export (one streamed ZIP, single-use download links), account deletion (grace
// period, resumable steps, a report of what was deleted and what is kept by law), retention of history,
// the per-pack privacy view and redaction patterns. It finds a person's rows from the live schema
// (information_schema), so it reads and deletes rows of every module's tables directly: that is its
// purpose, and going through each module would let a new table be forgotten. It does not decide what
// other modules store.
import type { ModuleDef } from '#core/module.js';
import { privacySetting } from './privacy.config.js';
import { buildExportJob, deleteAccountJob, purgeHistoryJob } from './privacy.jobs.js';
import { privacyRoutes } from './privacy.routes.js';

export { KEPT_TABLES } from './privacy.policy.js';
export {
  buildExport,
  classifyTables,
  importArchive,
  purgeHistory,
  redactionPatternsFor,
  runDeletion,
} from './privacy.service.js';
export { privacySetting };

export const privacyModule: ModuleDef = {
  name: 'privacy',
  routes: privacyRoutes,
  jobs: [buildExportJob, deleteAccountJob, purgeHistoryJob],
  cron: [{ job: purgeHistoryJob, pattern: '17 3 * * *', backfillMinutes: 24 * 60 }],
  settings: [privacySetting],
};
