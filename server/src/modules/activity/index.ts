// Activity: the append-only, hash-chained log of everything that happens in a space (connector reads,
// model calls, suggestions, approvals, actions, setting changes). It records; it does not decide anything.
import type { ModuleDef } from '#core/module.js';
import { activityRoutes } from './activity.routes.js';

export {
  logActivity,
  purgeActivityBefore,
  restoreCheckpoint,
  verifyChain,
} from './activity.service.js';

export const activityModule: ModuleDef = { name: 'activity', routes: activityRoutes };
