import { z } from 'zod';
import { Id, IsoDateTime } from './common.js';
import { endpoint } from './http.js';

// ---------------------------------------------------------------- the org-workflow document (docs/org-workflow-format.md)

export const ORG_WORKFLOW_FORMAT = 'connectsoft.org-workflow' as const;
export const ORG_WORKFLOW_VERSION = 1 as const;
export const ORG_WORKFLOW_SCHEMA_ID = 'https://connectsoft.me/schemas/org-workflow-1.json';

const Key = z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
/** Any UUID (the published schema stays free of example ids). */
const Uuid = z.guid();
const JsonObject = z.record(z.string(), z.json());
const Condition = z.strictObject({
  path: z.string(),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  in: z.array(z.union([z.string(), z.number()])).optional(),
  notEmpty: z.boolean().optional(),
});
const stepBase = { id: Key, name: z.string().optional(), when: Condition.optional(), forEach: z.string().optional() };

export const OrgStep = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('skill'), ...stepBase, skill: z.string(), input: z.json() }),
  z.strictObject({
    kind: z.literal('code'),
    ...stepBase,
    file: z.string(),
    language: z.literal('javascript'),
    /** The step's source, as shipped in the pack. */
    source: z.string(),
    skills: z.array(z.string()),
    input: z.json(),
  }),
  z.strictObject({
    kind: z.literal('model'),
    ...stepBase,
    system: z.string(),
    prompt: z.string(),
    output: JsonObject,
    maxOutputTokens: z.number().int(),
    fallback: z.strictObject({ skill: z.string(), input: z.json() }),
  }),
]);
export type OrgStep = z.infer<typeof OrgStep>;

export const OrgTrigger = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('schedule'),
    cron: z.string().optional(),
    rrule: z.string().optional(),
    /** An IANA zone, or `person`: the time zone of whoever runs it. */
    timeZone: z.string(),
    timeSetting: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal('event'), event: z.string(), offsetMinutes: z.number().int().optional() }),
  z.strictObject({ kind: z.literal('webhook'), hmac: z.boolean() }),
  z.strictObject({ kind: z.literal('manual') }),
]);
export type OrgTrigger = z.infer<typeof OrgTrigger>;

export const OrgAgent = z.strictObject({
  key: Key,
  name: z.string(),
  description: z.string(),
  /** Whether it was switched on in the installation it came from. */
  enabled: z.boolean(),
  triggers: z.array(OrgTrigger).min(1),
  steps: z.array(OrgStep).min(1),
  /** Per action type: `suggest` (a person approves), `auto` or `never`; the installation's choices over the pack's. */
  policies: z.record(z.string(), z.enum(['suggest', 'auto', 'never'])),
  budget: z.strictObject({ maxSteps: z.number().int(), maxSeconds: z.number().int(), maxModelTokens: z.number().int() }),
  /** The lab variant these steps come from (null: the agent as declared). */
  variant: z.string().nullable(),
});
export type OrgAgent = z.infer<typeof OrgAgent>;

export const OrgConnector = z.strictObject({
  kind: z.enum(['email', 'calendar', 'feed', 'webhook', 'http']),
  optional: z.boolean(),
  why: z.string(),
  /** The scopes of this kind the person granted (never credentials: those stay behind). */
  scopes: z.array(z.string()),
});

export const OrgWorkflow = z.strictObject({
  format: z.literal(ORG_WORKFLOW_FORMAT),
  formatVersion: z.literal(ORG_WORKFLOW_VERSION),
  id: Uuid,
  name: z.string().min(1),
  description: z.string(),
  persona: z.string(),
  /** Every scope the workflow needs (those the person granted). */
  scopes: z.array(z.string()),
  connectors: z.array(OrgConnector),
  settings: z.strictObject({
    /** JSON Schema of the settings, as the pack declares it. */
    schema: JsonObject,
    /** The installation's values, without secrets. */
    values: JsonObject,
    /** Names of settings left out because they hold secrets; set them again on the other side. */
    excludedSecrets: z.array(z.string()),
  }),
  agents: z.array(OrgAgent).min(1),
  provenance: z.strictObject({
    platform: z.literal('connectsoft.me'),
    platformVersion: z.string(),
    instanceUrl: z.string(),
    exportedAt: IsoDateTime,
    pack: z.strictObject({
      id: z.string(),
      version: z.string(),
      name: z.string(),
      source: z.enum(['builtin', 'marketplace', 'import']),
      bundleSha256: z.string(),
    }),
    installation: z.strictObject({
      id: Uuid,
      visibility: z.enum(['shared', 'private']),
      installedAt: IsoDateTime,
      localOnly: z.boolean(),
    }),
    spaceKind: z.enum(['personal', 'family']),
  }),
});
export type OrgWorkflow = z.infer<typeof OrgWorkflow>;

/** The published JSON Schema of the document (draft 2020-12). */
export function orgWorkflowJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(OrgWorkflow, { io: 'output' }) as Record<string, unknown>;
  return { $id: ORG_WORKFLOW_SCHEMA_ID, title: 'connectsoft.me organisational workflow, format version 1', ...s };
}

export const orgWorkflowSchema = endpoint({
  method: 'GET',
  path: '/api/v1/schemas/org-workflow.json',
  summary: 'The JSON Schema of the organisational workflow document (docs/org-workflow-format.md)',
  tags: ['promote'],
  response: z.record(z.string(), z.unknown()),
});

// ---------------------------------------------------------------- promotions

export const PROMOTION_STATES = ['exported', 'queued', 'sent', 'failed'] as const;
export const PromotionView = z.object({
  id: Id,
  installationId: Id.nullable(),
  packId: z.string(),
  packName: z.string(),
  /** exported: ready to download (no connectsoft.io endpoint set up); queued: being sent, retried while it fails; sent; failed: gave up. */
  state: z.enum(PROMOTION_STATES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  remoteRef: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sentAt: z.string().nullable(),
});
export type PromotionView = z.infer<typeof PromotionView>;

export const listPromotions = endpoint({
  method: 'GET',
  path: '/api/v1/promotions',
  summary: "The active space's promotions to organisational workflows, with where sending them stands",
  tags: ['promote'],
  response: z.object({ items: z.array(PromotionView), ioConfigured: z.boolean(), enabled: z.boolean() }),
});

export const createPromotion = endpoint({
  method: 'POST',
  path: '/api/v1/promotions',
  summary: 'Promote an installed pack to an organisational workflow: the document, sent to connectsoft.io when set up (owner or adult)',
  tags: ['promote'],
  body: z.strictObject({ installationId: Id }),
  response: PromotionView,
  status: 201,
});

const PromotionParams = z.strictObject({ promotionId: Id });
export const getPromotionDocument = endpoint({
  method: 'GET',
  path: '/api/v1/promotions/:promotionId/document',
  summary: 'The organisational workflow document of a promotion, as a JSON download',
  tags: ['promote'],
  params: PromotionParams,
  response: z.record(z.string(), z.unknown()),
});

export const retryPromotion = endpoint({
  method: 'POST',
  path: '/api/v1/promotions/:promotionId/retry',
  summary: 'Send a promotion that failed again (owner or adult)',
  tags: ['promote'],
  params: PromotionParams,
  body: z.strictObject({}),
  response: PromotionView,
});

export const IoOfferQuery = z.strictObject({ reason: z.enum(['members', 'organisation']).default('organisation') });
export const IoOfferView = z.object({
  enabled: z.boolean(),
  reason: z.enum(['members', 'organisation']),
  title: z.string(),
  body: z.string(),
  label: z.string(),
  url: z.string(),
});
export type IoOfferView = z.infer<typeof IoOfferView>;

export const getIoOffer = endpoint({
  method: 'GET',
  path: '/api/v1/io-offer',
  summary: 'The connectsoft.io offer: for more than 4 family members, or organisation features',
  tags: ['promote'],
  query: IoOfferQuery,
  response: IoOfferView,
});
