// Agents: the agents of installed packs: on/off, policies per action type, schedules (next run time),
// webhook URLs. It does not run them (runs does) nor install them (packs does).
import type { ModuleDef } from '#core/module.js';

export { type AgentWithPack, findAgentByWebhookToken, findAgentWithPack, listAgentsForEvent } from './agents.repository.js';

export const agentsModule: ModuleDef = { name: 'agents' };
