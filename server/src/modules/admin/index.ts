// Admin: the operators' console: instance settings (forms from their schemas), people and spaces
// (search, plan, usage, cost, suspend, restore), a person's consent to operator access and acting as
// them with it, and the offline plan tools of `csme admin`. It owns no tenant data; it calls the modules that do.
import type { ModuleDef } from '#core/module.js';
import { adminRoutes } from './admin.routes.js';

export { createFamily, resolveSpace, setSpacePlan } from './admin.service.js';

export const adminModule: ModuleDef = { name: 'admin', routes: adminRoutes };
