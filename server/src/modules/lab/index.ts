// Lab: the experimentation lab. Which variant of an agent a space runs (deterministic, sticky, or the
// promoted winner), a space's opt-out, and the operators' aggregates across at least 5 spaces. It never
// shows one space's figures and never counts a space that opted out; it does not run agents (runs does).
import type { ModuleDef } from '#core/module.js';
import { labRoutes } from './lab.routes.js';

export { resolveVariant } from './lab.service.js';

export const labModule: ModuleDef = { name: 'lab', routes: labRoutes };
