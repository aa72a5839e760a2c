import { z } from 'zod';
import { Id, Text } from './common.js';
import { endpoint } from './http.js';

const tags = ['privacy'];

export const EXPORT_STATUSES = ['queued', 'running', 'ready', 'failed', 'expired'] as const;
export const Export = z.object({
  id: Id,
  status: z.enum(EXPORT_STATUSES),
  progress: z.object({ done: z.number().int(), total: z.number().int() }),
  sizeBytes: z.number().int().nullable(),
  counts: z.record(z.string(), z.number().int()),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  downloadedAt: z.string().nullable(),
});
export type Export = z.infer<typeof Export>;

export const requestExport = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/exports',
  summary: 'Ask for an archive of all your data (one runs at a time; another request waits its turn)',
  tags,
  response: Export,
  status: 202,
});

export const listExports = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/exports',
  summary: 'Your exports, newest first, with their progress',
  tags,
  response: z.object({ items: z.array(Export) }),
});

export const createDownloadLink = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/exports/:exportId/link',
  summary: 'A download link for a ready export: it works once, for you only, for 15 minutes',
  tags,
  params: z.strictObject({ exportId: Id }),
  response: z.object({ url: z.string(), expiresAt: z.string() }),
});

export const downloadExport = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/downloads/:token',
  summary: 'The archive (application/zip); 404 once used, after expiry, or for another account',
  tags,
  params: z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/) }),
  response: z.string().describe('application/zip'),
});

export const DELETION_STATUSES = ['scheduled', 'cancelled', 'running', 'done'] as const;
export const KeptByLaw = z.object({ table: z.string(), rows: z.number().int(), why: z.string() });
export const DeletionReport = z.object({
  deleted: z.record(z.string(), z.number().int()),
  keptByLaw: z.array(KeptByLaw),
  files: z.number().int(),
  jobs: z.number().int(),
  secrets: z.number().int(),
  sessions: z.number().int(),
  pushSubscriptions: z.number().int(),
});
export type DeletionReport = z.infer<typeof DeletionReport>;

export const Deletion = z.object({
  id: Id,
  status: z.enum(DELETION_STATUSES),
  requestedAt: z.string(),
  executeAfter: z.string(),
  cancelledAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Deletion = z.infer<typeof Deletion>;

export const DeletionState = z.object({
  deletion: Deletion.nullable(),
  graceDays: z.number().int(),
  /** What deletion would remove and keep now (counts only). */
  preview: DeletionReport,
  /** Family spaces you own that have other members: transfer ownership first. */
  blockers: z.array(z.object({ spaceId: Id, name: z.string(), members: z.number().int() })),
});

export const getDeletion = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/deletion',
  summary: 'Whether your account is scheduled for deletion, and what deletion would remove and keep',
  tags,
  response: DeletionState,
});

export const requestDeletion = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/deletion',
  summary: 'Delete your account and personal space after the grace period (needs your password)',
  tags,
  body: z.strictObject({ password: z.string().min(1).max(1000), confirm: z.literal('DELETE') }),
  response: z.object({ deletion: Deletion, reportToken: z.string() }),
  status: 202,
});

export const cancelDeletion = endpoint({
  method: 'DELETE',
  path: '/api/v1/privacy/deletion',
  summary: 'Cancel a scheduled deletion during its grace period',
  tags,
  response: z.object({ deletion: Deletion }),
});

export const getDeletionReport = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/deletion-reports/:token',
  summary: 'The report of a deletion (what was deleted, what is kept by law and why), by the token given when it was asked for',
  tags,
  params: z.strictObject({ token: z.string().regex(/^[A-Za-z0-9_-]{20,100}$/) }),
  response: z.object({ status: z.enum(DELETION_STATUSES), finishedAt: z.string().nullable(), report: DeletionReport.nullable() }),
});

export const PackPrivacy = z.object({
  installationId: Id,
  packId: z.string(),
  name: z.string(),
  status: z.string(),
  pausedReason: z.string().nullable(),
  scopes: z.array(z.object({ scope: z.string(), label: z.string() })),
  requestedScopes: z.array(z.string()),
  localOnly: z.boolean(),
  last30Days: z.object({
    reads: z.number().int(),
    modelCalls: z.number().int(),
    tokensSent: z.number().int(),
    examples: z.array(z.object({ at: z.string(), kind: z.string(), summary: z.string() })),
  }),
  agents: z.array(
    z.object({ id: Id, key: z.string(), name: z.string(), storePayloads: z.boolean(), historyDays: z.number().int().nullable() }),
  ),
});
export type PackPrivacy = z.infer<typeof PackPrivacy>;

export const listPackPrivacy = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/packs',
  summary: 'Per installed pack: its scopes, what it read and sent to a model provider in the last 30 days, local-engine-only',
  tags,
  response: z.object({ items: z.array(PackPrivacy), historyDays: z.number().int() }),
});

export const updatePackPrivacy = endpoint({
  method: 'PATCH',
  path: '/api/v1/privacy/packs/:installationId',
  summary: 'Keep a pack on the local engine only, or let it use a model provider again',
  tags,
  params: z.strictObject({ installationId: Id }),
  body: z.strictObject({ localOnly: z.boolean() }),
  response: PackPrivacy,
});

export const revokePackScopes = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/packs/:installationId/revoke',
  summary: 'Revoke every scope of a pack: it pauses until you consent again',
  tags,
  params: z.strictObject({ installationId: Id }),
  response: PackPrivacy,
});

export const consentPackScopes = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/packs/:installationId/consent',
  summary: "Consent again to the scopes the pack's manifest asks for: a pack paused by revocation resumes",
  tags,
  params: z.strictObject({ installationId: Id }),
  body: z.strictObject({ scopes: z.array(z.string().max(100)).max(100) }),
  response: PackPrivacy,
});

export const updateAgentPrivacy = endpoint({
  method: 'PATCH',
  path: '/api/v1/privacy/agents/:agentId',
  summary: "An agent's own history window (shorter than the plan's) and whether its step payloads are stored",
  tags,
  params: z.strictObject({ agentId: Id }),
  body: z.strictObject({ historyDays: z.number().int().min(1).max(3650).nullable().optional(), storePayloads: z.boolean().optional() }),
  response: z.object({ id: Id, storePayloads: z.boolean(), historyDays: z.number().int().nullable() }),
});

export const Redaction = z.object({ id: Id, label: z.string(), pattern: z.string(), createdAt: z.string() });
export const listRedactions = endpoint({
  method: 'GET',
  path: '/api/v1/privacy/redactions',
  summary: 'Your redaction patterns (on top of the built-in masking) and the operator’s',
  tags,
  response: z.object({ items: z.array(Redaction), operator: z.array(z.string()) }),
});
export const createRedaction = endpoint({
  method: 'POST',
  path: '/api/v1/privacy/redactions',
  summary: 'Add a redaction pattern (a regular expression) applied to stored step payloads',
  tags,
  body: z.strictObject({ label: Text(100), pattern: z.string().min(1).max(300) }),
  response: Redaction,
  status: 201,
});
export const deleteRedaction = endpoint({
  method: 'DELETE',
  path: '/api/v1/privacy/redactions/:redactionId',
  summary: 'Remove a redaction pattern',
  tags,
  params: z.strictObject({ redactionId: Id }),
  response: z.object({ ok: z.literal(true) }),
});
