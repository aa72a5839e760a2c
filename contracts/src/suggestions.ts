import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['suggestions'];

export const SUGGESTION_STATUSES = [
  'pending',
  'approved',
  'executing',
  'done',
  'failed',
  'unknown',
  'rejected',
  'expired',
  'dismissed',
] as const;
export const SuggestionStatus = z.enum(SUGGESTION_STATUSES);

export const SuggestionView = z.object({
  id: Id,
  agentId: Id.nullable(),
  agentName: z.string().nullable(),
  packName: z.string().nullable(),
  runId: Id.nullable(),
  skillId: z.string(),
  actionType: z.string(),
  external: z.boolean(),
  title: z.string(),
  summary: z.string(),
  action: z.unknown(),
  /** The approval is bound to this hash of the exact action. */
  actionHash: z.string(),
  status: SuggestionStatus,
  auto: z.boolean(),
  edited: z.boolean(),
  visibility: Visibility,
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().nullable(),
  rejectReason: z.string().nullable(),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
});
export type SuggestionView = z.infer<typeof SuggestionView>;

export const listSuggestions = endpoint({
  method: 'GET',
  path: '/api/v1/suggestions',
  summary: 'The suggestions inbox of the active space (shared ones and your own)',
  tags,
  query: z.strictObject({
    status: z.enum(['open', 'done', ...SUGGESTION_STATUSES]).default('open'),
    limit: z.coerce.number().int().min(1).max(100).default(30),
    cursor: z.string().max(100).optional(),
    agentId: Id.optional(),
  }),
  response: z.object({ items: z.array(SuggestionView), nextCursor: z.string().nullable(), pendingCount: z.number().int() }),
});

const Params = z.strictObject({ suggestionId: Id });

export const getSuggestion = endpoint({
  method: 'GET',
  path: '/api/v1/suggestions/:suggestionId',
  summary: 'One suggestion',
  tags,
  params: Params,
  response: SuggestionView,
});

export const ApproveInput = z.strictObject({
  /** The hash of the action as shown to the person; if the action changed since, the approval is refused. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** An edited action (same shape as `action`): approved as edited. */
  action: z.unknown().optional(),
});
export const approveSuggestion = endpoint({
  method: 'POST',
  path: '/api/v1/suggestions/:suggestionId/approve',
  summary: 'Approve (optionally edited); the action is then performed once',
  tags,
  params: Params,
  body: ApproveInput,
  response: SuggestionView,
});
export const rejectSuggestion = endpoint({
  method: 'POST',
  path: '/api/v1/suggestions/:suggestionId/reject',
  summary: 'Reject, with a reason the agent sees on its next run',
  tags,
  params: Params,
  body: z.strictObject({ reason: Text(500).optional() }),
  response: SuggestionView,
});
export const alwaysAllow = endpoint({
  method: 'POST',
  path: '/api/v1/suggestions/:suggestionId/always-allow',
  summary: 'Approve this one and let the agent do this kind of action on its own from now on',
  tags,
  params: Params,
  body: z.strictObject({ hash: z.string().regex(/^[0-9a-f]{64}$/) }),
  response: SuggestionView,
});
export const resolveUnknown = endpoint({
  method: 'POST',
  path: '/api/v1/suggestions/:suggestionId/resolve',
  summary: 'For an action whose outcome is unknown (a send interrupted by a crash): send again, or dismiss',
  tags,
  params: Params,
  body: z.strictObject({ choice: z.enum(['resend', 'dismiss']) }),
  response: SuggestionView,
});
export const batchApprove = endpoint({
  method: 'POST',
  path: '/api/v1/suggestions/approve',
  summary: 'Approve several suggestions at once',
  tags,
  body: z.strictObject({
    items: z
      .array(z.strictObject({ id: Id, hash: z.string().regex(/^[0-9a-f]{64}$/) }))
      .min(1)
      .max(100),
  }),
  response: z.object({
    results: z.array(z.object({ id: Id, ok: z.boolean(), code: z.string().nullable(), message: z.string().nullable() })),
  }),
});
