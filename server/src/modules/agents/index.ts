// Agents: the agents of installed packs: on/off, policies per action type, schedules (next run time),
// webhook URLs. It does not run them (runs does) nor install packs (packs does).
import type { ModuleDef } from '#core/module.js';
import { agentsRoutes } from './agents.routes.js';
import { agentsMeter } from './agents.service.js';

export { type AgentSchedule, describeSchedule, nextFireTime } from './agents.policy.js';
export { neededPlan, triggerView } from './agents.presenter.js';
export {
  type AgentListRow,
  type AgentWithPack,
  countEnabledAgents,
  findAgentByWebhookToken,
  findAgentWithPack,
  listAgentsForEvent,
  lockDueAgents,
} from './agents.repository.js';
export {
  advanceSchedule,
  createAgentsForInstallation,
  enforceAgentLimit,
  listAgentsOfInstallation,
  type NewInstallationAgents,
  rescheduleInstallation,
  restoreAgents,
  scheduleProblems,
} from './agents.service.js';

export const agentsModule: ModuleDef = { name: 'agents', routes: agentsRoutes, usageMeters: { agents: agentsMeter } };
