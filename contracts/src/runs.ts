import { z } from 'zod';
import { Id, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['runs'];

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'refused'] as const;
export const RunStatus = z.enum(RUN_STATUSES);
export const TriggerKind = z.enum(['schedule', 'event', 'webhook', 'manual']);

export const RunSummary = z.object({
  id: Id,
  agentId: Id,
  agentName: z.string(),
  packName: z.string(),
  triggerKind: TriggerKind,
  status: RunStatus,
  refusedReason: z.string().nullable(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  queuedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  stepCount: z.number().int(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  /** Model cost in millionths of a US dollar. */
  costMicros: z.number().int(),
  visibility: Visibility,
});
export type RunSummary = z.infer<typeof RunSummary>;

export const StepView = z.object({
  idx: z.number().int(),
  stepKey: z.string(),
  kind: z.enum(['skill', 'model', 'code']),
  name: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'skipped']),
  input: z.unknown().nullable(),
  output: z.unknown().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
});
export type StepView = z.infer<typeof StepView>;

export const RunDetail = RunSummary.extend({
  triggerData: z.unknown(),
  steps: z.array(StepView),
  suggestionIds: z.array(Id),
  offers: z.array(z.object({ kind: z.string(), label: z.string(), url: z.string(), planId: z.string().optional() })),
});
export type RunDetail = z.infer<typeof RunDetail>;

export const listRuns = endpoint({
  method: 'GET',
  path: '/api/v1/runs',
  summary: 'Run history of the active space, newest first',
  tags,
  query: z.strictObject({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
    status: RunStatus.optional(),
    agentId: Id.optional(),
  }),
  response: z.object({ items: z.array(RunSummary), nextCursor: z.string().nullable() }),
});

export const getRun = endpoint({
  method: 'GET',
  path: '/api/v1/runs/:runId',
  summary: 'One run with its step timeline (and why it did not run, for refusals)',
  tags,
  params: z.strictObject({ runId: Id }),
  response: RunDetail,
});

export const cancelRun = endpoint({
  method: 'POST',
  path: '/api/v1/runs/:runId/cancel',
  summary: 'Cancel a queued or running run',
  tags,
  params: z.strictObject({ runId: Id }),
  response: RunSummary,
});

export const runAgentNow = endpoint({
  method: 'POST',
  path: '/api/v1/agents/:agentId/runs',
  summary: 'Run an agent now (manual trigger); 402 quota_exceeded with the refused run id when the month is used up',
  tags,
  params: z.strictObject({ agentId: Id }),
  body: z.strictObject({ input: z.record(z.string(), z.unknown()).optional() }).optional(),
  response: RunSummary,
  status: 202,
});

/** Incoming webhook delivery: answered 202 with the run (or the refused run). */
export const WebhookAccepted = z.object({
  runId: Id.nullable(),
  status: z.enum(['queued', 'duplicate', 'refused']),
  reason: z.string().nullable(),
});
