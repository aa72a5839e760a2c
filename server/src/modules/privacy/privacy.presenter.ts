import type { Selectable } from 'kysely';
import type { PrivacyDeletion, PrivacyExport, PrivacyRedaction } from '#core/db.types.js';

export function presentExport(r: Selectable<PrivacyExport>) {
  return {
    id: r.id,
    status: r.status as 'queued',
    progress: { done: r.progress_done, total: r.progress_total },
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    counts: Object.fromEntries(
      Object.entries((r.counts ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'number'),
    ) as Record<string, number>,
    error: r.error,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at?.toISOString() ?? null,
    expiresAt: r.expires_at?.toISOString() ?? null,
    downloadedAt: r.downloaded_at?.toISOString() ?? null,
  };
}

export function presentDeletion(r: Selectable<PrivacyDeletion>) {
  return {
    id: r.id,
    status: r.status as 'scheduled',
    requestedAt: r.requested_at.toISOString(),
    executeAfter: r.execute_after.toISOString(),
    cancelledAt: r.cancelled_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}

export function presentRedaction(r: Selectable<PrivacyRedaction>) {
  return { id: r.id, label: r.label, pattern: r.pattern, createdAt: r.created_at.toISOString() };
}
