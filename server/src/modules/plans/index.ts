// Plans: the versioned catalog, a space's entitlements ("may this space do X now?"), and usage
// counters per quota month. It does not take payments or change plans on its own (billing does).
import type { ModuleDef } from '#core/module.js';
import { plansRoutes } from './plans.routes.js';

export { type LimitKey, quotaPeriod } from './plans.policy.js';
export {
  applyPlanLimits,
  assertWithinLimit,
  type Entitlements,
  getEntitlements,
  limitError,
  listPlans,
  lockSpaceForLimits,
  type RunTake,
  setBasePlan,
  startFreePlan,
  takeRuns,
} from './plans.service.js';

export const plansModule: ModuleDef = { name: 'plans', routes: plansRoutes };
