import { z } from 'zod';
import { Id, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['packs'];

export const ScopeView = z.object({ scope: z.string(), label: z.string(), risk: z.enum(['read', 'write', 'external']) });
/**
 * A trigger: `label` is the English description; the other fields let a client describe it in the
 * person's own language (the event type, or the schedule's rule and time zone, `person` meaning theirs).
 */
export const TriggerView = z.object({
  type: z.enum(['schedule', 'event', 'webhook', 'manual']),
  label: z.string(),
  event: z.string().optional(),
  offsetMinutes: z.number().int().optional(),
  cron: z.string().optional(),
  rrule: z.string().optional(),
  timeZone: z.string().optional(),
});
export type TriggerView = z.infer<typeof TriggerView>;

export const AgentSummary = z.object({
  key: z.string(),
  name: z.string(),
  description: z.string(),
  triggers: z.array(TriggerView),
  /** The plan it needs beyond Free (a webhook trigger needs all connectors), if any. */
  needsPlan: z.string().nullable(),
});

export const PackSummary = z.object({
  id: z.string(),
  version: z.string(),
  name: z.string(),
  description: z.string(),
  persona: z.string(),
  icon: z.string(),
  categories: z.array(z.string()),
  source: z.enum(['builtin', 'marketplace', 'import']),
  agents: z.array(AgentSummary),
  scopes: z.array(ScopeView),
  connectors: z.array(z.object({ kind: z.string(), optional: z.boolean(), why: z.string() })),
  installedAs: z.array(z.object({ installationId: Id, visibility: Visibility, status: z.string() })),
});
export type PackSummary = z.infer<typeof PackSummary>;

export const PackDetail = PackSummary.extend({
  /** JSON Schema of the settings form. */
  settingsSchema: z.record(z.string(), z.unknown()),
});
export type PackDetail = z.infer<typeof PackDetail>;

export const listPacks = endpoint({
  method: 'GET',
  path: '/api/v1/packs',
  summary: 'Packs available to install (built-in and from the marketplace)',
  tags,
  response: z.object({ items: z.array(PackSummary) }),
});
export const getPack = endpoint({
  method: 'GET',
  path: '/api/v1/packs/:packId',
  summary: 'A pack: its agents, what it asks for (consent) and its settings form',
  tags,
  params: z.strictObject({ packId: z.string().max(64) }),
  response: PackDetail,
});

export const InstallInput = z.strictObject({
  /** In a family space: shared with the family or private to you. */
  visibility: Visibility.optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
  /** The exact scopes shown on the consent screen: all of them must be granted. */
  grantedScopes: z.array(z.string().max(40)).max(40),
  /** Agents to turn on (default: as the pack says, within your plan). */
  enableAgents: z.array(z.string().max(64)).max(20).optional(),
});
export type InstallInput = z.infer<typeof InstallInput>;

export const AgentView = z.object({
  id: Id,
  key: z.string(),
  name: z.string(),
  description: z.string(),
  installationId: Id,
  packId: z.string(),
  packName: z.string(),
  packIcon: z.string(),
  enabled: z.boolean(),
  disabledReason: z.string().nullable(),
  triggers: z.array(TriggerView),
  schedule: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  hasWebhook: z.boolean(),
  policies: z.record(z.string(), z.enum(['suggest', 'auto', 'never'])),
  actionTypes: z.array(z.string()),
  storePayloads: z.boolean(),
  visibility: Visibility,
});
export type AgentView = z.infer<typeof AgentView>;

export const InstallationView = z.object({
  id: Id,
  packId: z.string(),
  version: z.string(),
  name: z.string(),
  icon: z.string(),
  description: z.string(),
  status: z.enum(['active', 'paused', 'uninstalled']),
  pausedReason: z.string().nullable(),
  visibility: Visibility,
  settings: z.record(z.string(), z.unknown()),
  settingsSchema: z.record(z.string(), z.unknown()),
  grantedScopes: z.array(ScopeView),
  localOnly: z.boolean(),
  agents: z.array(AgentView),
  installedAt: z.string(),
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
export type InstallationView = z.infer<typeof InstallationView>;

export const installPack = endpoint({
  method: 'POST',
  path: '/api/v1/packs/:packId/install',
  summary: 'Install a pack after consenting to exactly the scopes it asks for',
  tags,
  params: z.strictObject({ packId: z.string().max(64) }),
  body: InstallInput,
  response: InstallationView,
  status: 201,
});

export const listInstallations = endpoint({
  method: 'GET',
  path: '/api/v1/installations',
  summary: 'Packs installed in the active space',
  tags,
  query: z.strictObject({ includeUninstalled: z.enum(['true', 'false']).optional() }),
  response: z.object({ items: z.array(InstallationView) }),
});

const InstParams = z.strictObject({ installationId: Id });
export const getInstallation = endpoint({
  method: 'GET',
  path: '/api/v1/installations/:installationId',
  summary: 'An installed pack',
  tags,
  params: InstParams,
  response: InstallationView,
});
export const updateInstallation = endpoint({
  method: 'PATCH',
  path: '/api/v1/installations/:installationId',
  summary: 'Change its settings, or keep it on the local engine only',
  tags,
  params: InstParams,
  body: z.strictObject({ settings: z.record(z.string(), z.unknown()).optional(), localOnly: z.boolean().optional() }),
  response: InstallationView,
});
export const pauseInstallation = endpoint({
  method: 'POST',
  path: '/api/v1/installations/:installationId/pause',
  summary: 'Pause all its agents',
  tags,
  params: InstParams,
  response: InstallationView,
});
export const resumeInstallation = endpoint({
  method: 'POST',
  path: '/api/v1/installations/:installationId/resume',
  summary: 'Resume it (refused with 402 when the plan has no room)',
  tags,
  params: InstParams,
  response: InstallationView,
});
export const uninstallPack = endpoint({
  method: 'DELETE',
  path: '/api/v1/installations/:installationId',
  summary: 'Uninstall (its history is kept until its retention ends)',
  tags,
  params: InstParams,
  response: InstallationView,
});

export const listAgents = endpoint({
  method: 'GET',
  path: '/api/v1/agents',
  summary: 'Agents of the packs installed in the active space',
  tags: ['agents'],
  response: z.object({ items: z.array(AgentView) }),
});
const AgentParams = z.strictObject({ agentId: Id });
export const getAgent = endpoint({
  method: 'GET',
  path: '/api/v1/agents/:agentId',
  summary: 'One agent',
  tags: ['agents'],
  params: AgentParams,
  response: AgentView,
});
export const updateAgent = endpoint({
  method: 'PATCH',
  path: '/api/v1/agents/:agentId',
  summary: 'Turn an agent on or off, set what it may do on its own, and whether step payloads are stored',
  tags: ['agents'],
  params: AgentParams,
  body: z.strictObject({
    enabled: z.boolean().optional(),
    policies: z.record(z.string().max(60), z.enum(['suggest', 'auto', 'never'])).optional(),
    storePayloads: z.boolean().optional(),
  }),
  response: AgentView,
});
export const createWebhookUrl = endpoint({
  method: 'POST',
  path: '/api/v1/agents/:agentId/webhook',
  summary: 'Create (or replace) the secret webhook URL of an agent; shown once',
  tags: ['agents'],
  params: AgentParams,
  body: z.strictObject({ hmac: z.boolean().default(false) }),
  response: z.object({ url: z.string(), hmacSecret: z.string().nullable() }),
});

export const packSchema = endpoint({
  method: 'GET',
  path: '/api/v1/schemas/pack.json',
  summary: 'The JSON Schema of pack.json (the pack manifest)',
  tags,
  response: z.record(z.string(), z.unknown()),
});
