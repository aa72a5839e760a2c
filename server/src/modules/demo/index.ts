// Demo: fills a space with sample data so a newcomer sees each pack work at once (a mailbox and a
// calendar under sample accounts that never dial out, a family shopping list, tasks, a reminder, a study
// document), every row marked `demo`, and removes all of it in one step. It owns no tables: it writes
// through the apps and connectors modules.
import type { ModuleDef } from '#core/module.js';
import { demoRoutes } from './demo.routes.js';

export { removeDemo, seedDemo } from './demo.service.js';

export const demoModule: ModuleDef = { name: 'demo', routes: demoRoutes };
