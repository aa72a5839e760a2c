// Packs: the catalog (built-in packs as shipped, checked by hash; marketplace versions signed), and
// installations in a space: consent to scopes, settings, pause, resume, uninstall, plan limits.
// It does not run agents (runs does) nor configure them one by one (agents does).
import type { ModuleDef } from '#core/module.js';
import { packsRoutes } from './packs.routes.js';
import { enforcePackLimits, packsMeter } from './packs.service.js';

export {
  bundleHash,
  consentProblems,
  integrityProblem,
  SCOPE_LABELS,
  scopeDiff,
  scopeView,
  signPackBundle,
  verifyPackSignature,
} from './packs.policy.js';
export { findInstallation, findPackVersion, listInstallationsBehind } from './packs.repository.js';
export {
  BUILTIN_PACKS_DIR,
  BUNDLE_LIMITS,
  getInstallation,
  installPack,
  type LoadedPack,
  moveInstallationToVersion,
  packBundle,
  packFromFiles,
  pauseInstallationsOfPack,
  publishPackVersion,
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
