// Agents: the agents of installed packs: on/off, policies per action type, schedules (next run time),
// webhook URLs. It does not run them (runs does) nor install packs (packs does).
import type { ModuleDef } from '#core/module.js';
import { agentsRoutes } from './agents.routes.js';
import { agentsMeter } from './agents.service.js';

export { type AgentSchedule, nextFireTime } from './agents.policy.js';
export { neededPlan, triggerView } from './agents.presenter.js';
export {
  countEnabledAgents,
  findAgentByWebhookToken,
  findAgentWithPack,
  listAgentsForEvent,
  lockDueAgents,
} from './agents.repository.js';
export {
  createAgentsForInstallation,
  enforceAgentLimit,
  listAgentsOfInstallation,
  rescheduleInstallation,
  restoreAgents,
  scheduleProblems,
} from './agents.service.js';

export const agentsModule: ModuleDef = { name: 'agents', routes: agentsRoutes, usageMeters: { agents: agentsMeter } };
