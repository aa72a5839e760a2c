// Marketplace: creator profiles, publishing (automated checks, the operator review queue, signing),
// listings, ratings and reviews, purchases through billing, the 70/30 ledger, refunds, monthly payouts,
// update offers with scope consent, and creator analytics (aggregates only). It does not store the
// catalog's versions or installations (packs does) nor take payments (billing does).
import type { ModuleDef } from '#core/module.js';
import { denylistSetting, reviewSetting } from './marketplace.config.js';
import { lapsePurchasesJob, offerUpdateJob, runPayoutsJob } from './marketplace.jobs.js';
import { marketplaceRoutes } from './marketplace.routes.js';
import { recordSale } from './marketplace.service.js';

// For `csme import` (the privacy/import work): re-check an arriving pack by hash, or hold it for review.
export { checkImportedPack } from './marketplace.service.js';

export const marketplaceModule: ModuleDef = {
  name: 'marketplace',
  routes: marketplaceRoutes,
  jobs: [offerUpdateJob, runPayoutsJob, lapsePurchasesJob],
  cron: [
    { job: runPayoutsJob, pattern: '0 3 2 * *', backfillMinutes: 24 * 60 },
    { job: lapsePurchasesJob, pattern: '30 4 * * *', backfillMinutes: 24 * 60 },
  ],
  settings: [reviewSetting, denylistSetting],
  onSalePaid: recordSale,
};
