import type { ConnectorView, FileView } from '@csme/contracts/connectors';
import type { ConnectorRow, FileRow } from './connectors.repository.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A connector as the API shows it: its settings without any secret, and its health. */
export function presentConnector(r: ConnectorRow): ConnectorView {
  const config = { ...(r.config as Record<string, unknown>) };
  // A header value (http kind) is a secret too; only its name is shown.
  delete config.headerValue;
  return {
    id: r.id,
    kind: r.kind as ConnectorView['kind'],
    name: r.name,
    visibility: r.visibility as ConnectorView['visibility'],
    status: r.status as ConnectorView['status'],
    pausedReason: r.paused_reason,
    host: r.host,
    settings: config,
    hasCredentials: r.credentials !== null,
    health: {
      phase: r.sync_phase as ConnectorView['health']['phase'],
      progressDone: r.progress_done,
      progressTotal: r.progress_total,
      initialSyncedAt: iso(r.initial_synced_at),
      lastSyncAt: iso(r.last_sync_at),
      lastSuccessAt: iso(r.last_success_at),
      lastError: r.last_error,
      lastErrorAt: iso(r.last_error_at),
      needsAttention: r.needs_attention,
      itemErrors: r.item_errors,
    },
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function presentFile(r: FileRow): FileView {
  return {
    id: r.id,
    name: r.name,
    mediaType: r.media_type as FileView['mediaType'],
    size: r.size,
    visibility: r.visibility as FileView['visibility'],
    pages: r.pages,
    textLength: r.text.length,
    textError: r.text_error,
    createdAt: r.created_at.toISOString(),
  };
}
