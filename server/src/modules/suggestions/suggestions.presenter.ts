import type { SuggestionView } from '@csme/contracts/suggestions';
import type { findSuggestion } from './suggestions.repository.js';

type Row = NonNullable<Awaited<ReturnType<typeof findSuggestion>>>;

export function presentSuggestion(r: Row): SuggestionView {
  const manifest = r.manifest as { name?: string; agents?: Array<{ id: string; name: string }> } | null;
  return {
    id: r.id,
    agentId: r.agent_id,
    agentName: manifest?.agents?.find((a) => a.id === r.agent_key)?.name ?? null,
    packName: manifest?.name ?? null,
    runId: r.run_id,
    skillId: r.skill_id,
    actionType: r.action_type,
    external: r.external,
    title: r.title,
    summary: r.summary,
    action: r.action,
    actionHash: r.action_hash,
    status: r.status as SuggestionView['status'],
    auto: r.auto,
    edited: r.edited,
    visibility: r.visibility as SuggestionView['visibility'],
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    decidedAt: r.decided_at?.toISOString() ?? null,
    rejectReason: r.reject_reason,
    result: r.result ?? null,
    error: r.error,
  };
}
