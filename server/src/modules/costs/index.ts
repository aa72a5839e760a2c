// Costs: what running the instance costs and earns, for operators: cost per run (model calls and
// compute) by plan, agent, pack, model and space; revenue and gross margin by plan and month; the quota
// advisor. It reads runs, model calls and paid invoices; it changes nothing (plans change limits).
import type { ModuleDef } from '#core/module.js';
import { costsSetting } from './costs.config.js';
import { costsRoutes } from './costs.routes.js';

export { costOfSpace, resolveRange } from './costs.service.js';

export const costsModule: ModuleDef = { name: 'costs', routes: costsRoutes, settings: [costsSetting] };
