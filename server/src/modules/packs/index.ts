// Packs: the catalog (built-in packs as shipped, checked by hash; marketplace versions later), and
// installations in a space: consent to scopes, settings, pause, resume, uninstall, plan limits.
// It does not run agents (runs does) nor configure them one by one (agents does).
import type { ModuleDef } from '#core/module.js';
import { packsRoutes } from './packs.routes.js';
import { enforcePackLimits, packsMeter } from './packs.service.js';

export { bundleHash, consentProblems, SCOPE_LABELS } from './packs.policy.js';
export {
  BUILTIN_PACKS_DIR,
  BUNDLE_LIMITS,
  type LoadedPack,
  packBundle,
  packFromFiles,
  readPackDir,
  skillProblems,
  syncBuiltinPacks,
  unpackBundle,
  validateSettings,
} from './packs.service.js';

export const packsModule: ModuleDef = {
  name: 'packs',
  routes: packsRoutes,
  usageMeters: { packs: packsMeter },
  enforceLimits: enforcePackLimits,
};
