// Flags: the typed feature flags operators switch in the admin console (one instance setting), and
// what the web app reads to show or hide features. It decides nothing itself: modules ask isEnabled.
import type { ModuleDef } from '#core/module.js';
import { featureFlagsSetting } from './flags.config.js';
import { flagsRoutes } from './flags.routes.js';

export { isEnabled } from './flags.service.js';

export const flagsModule: ModuleDef = { name: 'flags', routes: flagsRoutes, settings: [featureFlagsSetting] };
