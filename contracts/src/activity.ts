import { z } from 'zod';
import { Id, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['activity'];

export const ActivityEntry = z.object({
  seq: z.number().int(),
  id: Id,
  at: z.string(),
  actorKind: z.enum(['person', 'agent', 'system', 'operator']),
  actorAccountId: Id.nullable(),
  agentId: Id.nullable(),
  kind: z.string(),
  objectType: z.string().nullable(),
  objectId: Id.nullable(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()),
  visibility: Visibility,
  hash: z.string(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ListActivityQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^\d+$/).optional(),
  kind: z.string().max(64).optional(),
  agentId: Id.optional(),
  objectId: Id.optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const listActivity = endpoint({
  method: 'GET',
  path: '/api/v1/activity',
  summary: 'The activity log of the active space (shared entries and your own private ones), newest first',
  tags,
  query: ListActivityQuery,
  response: z.object({ items: z.array(ActivityEntry), nextCursor: z.string().nullable() }),
});

export const ChainStatus = z.object({
  entries: z.number().int(),
  valid: z.boolean(),
  brokenAtSeq: z.number().int().nullable(),
  headHash: z.string().nullable(),
});
export const verifyActivity = endpoint({
  method: 'GET',
  path: '/api/v1/activity/verify',
  summary: "Checks the active space's hash chain end to end",
  tags,
  response: ChainStatus,
});
