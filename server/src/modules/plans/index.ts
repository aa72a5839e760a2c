// Plans: the versioned catalog, a space's entitlements ("may this space do X now?"), subscriptions as
// data, and usage counters per quota month. It does not take payments or decide when a plan changes
// (billing does, and calls startSubscription / updateSubscription here).
import type { ModuleDef } from '#core/module.js';
import { plansRoutes } from './plans.routes.js';

export {
  addExtraRuns,
  addInterval,
  applyPlanLimits,
  assertWithinLimit,
  createPlanVersion,
  type Entitlements,
  endSubscription,
  findLiveSubscriptionByProviderRef,
  findSubscription,
  forgetEntitlements,
  getEntitlements,
  getPlanVersion,
  limitError,
  listLiveSubscriptionsOf,
  listPastDue,
  listPlans,
  listPlanVersions,
  listSubscribersOnOlderVersions,
  listSubscriptionsDue,
  lockSpaceForLimits,
  type SubscriptionRow,
  setBasePlan,
  stampedEntitlements,
  startFreePlan,
  startSubscription,
  takeRuns,
  updateSubscription,
} from './plans.service.js';

export const plansModule: ModuleDef = { name: 'plans', routes: plansRoutes };
