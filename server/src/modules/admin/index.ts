// Admin: what operators of an instance do: instance settings, and the offline plan tools used by
// `csme admin` until billing exists. It owns no tenant data; it calls the modules that do.
import type { ModuleDef } from '#core/module.js';
import { adminRoutes } from './admin.routes.js';

export { createFamily, resolveSpace, setSpacePlan } from './admin.service.js';

export const adminModule: ModuleDef = { name: 'admin', routes: adminRoutes };
