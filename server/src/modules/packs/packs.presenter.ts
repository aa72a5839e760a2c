import type { AgentView, InstallationView, PackSummary } from '@csme/contracts/packs';
import type { PackManifest } from '@csme/sdk';
import { neededPlan, triggerView } from '#modules/agents/index.js';
import { scopeView } from './packs.policy.js';
import type { InstallationRow } from './packs.repository.js';

export function presentPack(
  v: { pack_id: string; version: string; manifest: unknown; source: string },
  installedAs: PackSummary['installedAs'],
): PackSummary {
  const m = v.manifest as PackManifest;
  return {
    id: v.pack_id,
    version: v.version,
    name: m.name,
    description: m.description,
    persona: m.persona,
    icon: m.icon,
    categories: m.categories,
    source: v.source as PackSummary['source'],
    agents: m.agents.map((a) => ({
      key: a.id,
      name: a.name,
      description: a.description,
      triggers: a.triggers.map((t) => triggerView(t)),
      needsPlan: neededPlan(a, m),
    })),
    scopes: m.scopes.map(scopeView),
    connectors: m.connectors.map((c) => ({ kind: c.kind, optional: c.optional, why: c.why })),
    installedAs,
  };
}

export function presentInstallation(r: InstallationRow, agents: AgentView[]): InstallationView {
  const m = r.manifest as PackManifest;
  return {
    id: r.id,
    packId: r.pack_id,
    version: r.version,
    name: m.name,
    icon: m.icon,
    description: m.description,
    status: r.status as InstallationView['status'],
    pausedReason: r.paused_reason,
    visibility: r.visibility as InstallationView['visibility'],
    settings: (r.settings ?? {}) as Record<string, unknown>,
    settingsSchema: m.settings,
    grantedScopes: r.granted_scopes.map(scopeView),
    localOnly: r.local_only,
    agents,
    installedAt: r.created_at.toISOString(),
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
  };
}
