import { z } from 'zod';
import { Id, Text } from './common.js';
import { endpoint } from './http.js';

const tags = ['admin'];

export const SettingView = z.object({
  key: z.string(),
  description: z.string(),
  value: z.record(z.string(), z.unknown()),
  /** The JSON Schema of the value (the console renders its form from it). */
  schema: z.record(z.string(), z.unknown()),
  /** Fields holding secrets: shown as { set: boolean }, sent only to replace them. */
  secretFields: z.array(z.string()),
  updatedAt: z.string().nullable(),
});
export type SettingView = z.infer<typeof SettingView>;

export const listSettings = endpoint({
  method: 'GET',
  path: '/api/v1/admin/settings',
  summary: 'Instance settings (operators only; secrets show only whether they are set)',
  tags,
  response: z.object({ settings: z.array(SettingView) }),
});

export const UpdateSettingInput = z.strictObject({ value: z.record(z.string(), z.unknown()) });
export const updateSetting = endpoint({
  method: 'PUT',
  path: '/api/v1/admin/settings/:key',
  summary: 'Change an instance setting; applies without a restart (operators only)',
  tags,
  params: z.strictObject({ key: z.string().regex(/^[a-zA-Z][a-zA-Z0-9.]{0,63}$/) }),
  body: UpdateSettingInput,
  response: SettingView,
});

// ---------------------------------------------------------------- feature flags

/** Parts of the product an operator turns on or off for everyone (the `featureFlags` instance setting). */
export const FeatureFlags = z.object({
  /** The experimentation lab: agents with variants run them (off: every space runs agents as declared, or the promoted winner). */
  lab: z.boolean(),
  /** "Promote to an organisational workflow" on installed packs. */
  promote: z.boolean(),
  /** The connectsoft.io offer (a fifth family member, organisation features). */
  ioOffer: z.boolean(),
});
export type FeatureFlags = z.infer<typeof FeatureFlags>;

export const getFeatures = endpoint({
  method: 'GET',
  path: '/api/v1/features',
  summary: 'The feature flags of this instance (what the web app shows)',
  tags,
  response: FeatureFlags,
});

// ---------------------------------------------------------------- people and spaces

const Limit = z.coerce.number().int().min(1).max(100).default(25);
const Cursor = z.string().max(200).optional();

export const AdminAccountQuery = z.strictObject({
  q: Text(200).optional(),
  status: z.enum(['all', 'active', 'suspended']).default('all'),
  limit: Limit,
  cursor: Cursor,
});

export const AdminAccountSummary = z.object({
  id: Id,
  email: z.string(),
  displayName: z.string(),
  isOperator: z.boolean(),
  createdAt: z.string(),
  suspendedAt: z.string().nullable(),
  personalSpaceId: Id.nullable(),
  planId: z.string().nullable(),
  planName: z.string().nullable(),
  /** Runs of their personal space this quota month, and its limit. */
  runsUsed: z.number().int(),
  runsLimit: z.number().int().nullable(),
  /** Until when the person allows operator access (null: not allowed). */
  supportAccessUntil: z.string().nullable(),
});
export type AdminAccountSummary = z.infer<typeof AdminAccountSummary>;

export const adminListAccounts = endpoint({
  method: 'GET',
  path: '/api/v1/admin/accounts',
  summary: 'People on this instance, by name or email, with their plan and runs this month (operators only)',
  tags,
  query: AdminAccountQuery,
  response: z.object({ items: z.array(AdminAccountSummary), nextCursor: z.string().nullable() }),
});

export const AdminMeter = z.object({ key: z.string(), used: z.number().int(), limit: z.number().int().nullable() });

export const AdminSpaceView = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(['personal', 'family']),
  createdAt: z.string(),
  ownerAccountId: Id,
  ownerEmail: z.string(),
  ownerSuspended: z.boolean(),
  planId: z.string(),
  planName: z.string(),
  planVersion: z.number().int(),
  subscriptionStatus: z.string(),
  quotaPeriod: z.object({ start: z.string(), end: z.string() }),
  usage: z.array(AdminMeter),
  /** Model and compute cost of this quota month's runs, in micro-dollars. */
  costMicros: z.number().int(),
  labOptedOut: z.boolean(),
  members: z.array(z.object({ accountId: Id, email: z.string(), displayName: z.string(), role: z.string() })),
});
export type AdminSpaceView = z.infer<typeof AdminSpaceView>;

export const AdminSpaceQuery = z.strictObject({ q: Text(200).optional(), limit: Limit, cursor: Cursor });
export const AdminSpaceSummary = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(['personal', 'family']),
  ownerEmail: z.string(),
  planId: z.string().nullable(),
  planName: z.string().nullable(),
  members: z.number().int(),
  createdAt: z.string(),
});
export type AdminSpaceSummary = z.infer<typeof AdminSpaceSummary>;

export const adminListSpaces = endpoint({
  method: 'GET',
  path: '/api/v1/admin/spaces',
  summary: 'Spaces on this instance, by name, id or owner email (operators only)',
  tags,
  query: AdminSpaceQuery,
  response: z.object({ items: z.array(AdminSpaceSummary), nextCursor: z.string().nullable() }),
});

const SpaceParams = z.strictObject({ spaceId: Id });
export const adminGetSpace = endpoint({
  method: 'GET',
  path: '/api/v1/admin/spaces/:spaceId',
  summary: 'One space: plan, usage this quota month, cost, members (operators only)',
  tags,
  params: SpaceParams,
  response: AdminSpaceView,
});

export const AdminAccountDetail = AdminAccountSummary.extend({
  totpEnabled: z.boolean(),
  supportAccess: z.object({ grantedAt: z.string(), expiresAt: z.string() }).nullable(),
  /** Operator sessions open as this person right now. */
  impersonations: z.number().int(),
  spaces: z.array(AdminSpaceView.extend({ role: z.string() })),
});
export type AdminAccountDetail = z.infer<typeof AdminAccountDetail>;

const AccountParams = z.strictObject({ accountId: Id });
export const adminGetAccount = endpoint({
  method: 'GET',
  path: '/api/v1/admin/accounts/:accountId',
  summary: 'One person: their spaces with plan, usage and cost, suspension, consent to operator access (operators only)',
  tags,
  params: AccountParams,
  response: AdminAccountDetail,
});

export const SuspendInput = z.strictObject({ reason: Text(300).pipe(z.string().min(1, 'is required')) });
export const adminSuspendAccount = endpoint({
  method: 'POST',
  path: '/api/v1/admin/accounts/:accountId/suspend',
  summary: 'Suspend an account: it cannot sign in, its sessions end and its agents stop; nothing is deleted (operators only)',
  tags,
  params: AccountParams,
  body: SuspendInput,
  response: AdminAccountDetail,
});

export const adminRestoreAccount = endpoint({
  method: 'POST',
  path: '/api/v1/admin/accounts/:accountId/restore',
  summary: 'Restore a suspended account: it can sign in and its agents run again (operators only)',
  tags,
  params: AccountParams,
  body: z.strictObject({}),
  response: AdminAccountDetail,
});

export const adminImpersonate = endpoint({
  method: 'POST',
  path: '/api/v1/admin/accounts/:accountId/impersonate',
  summary:
    "Act as a person who allowed operator access: this browser's session becomes theirs until the consent ends; they see it (operators only)",
  tags,
  params: AccountParams,
  body: z.strictObject({}),
  response: z.object({ expiresAt: z.string() }),
});

// ---------------------------------------------------------------- consent to operator access

export const SupportAccessView = z.object({
  /** The person's live consent, if any. */
  grant: z.object({ grantedAt: z.string(), expiresAt: z.string() }).nullable(),
  /** Operators acting as this person right now. */
  impersonations: z.array(z.object({ operatorName: z.string(), startedAt: z.string(), expiresAt: z.string() })),
  /** Set when this very session is an operator acting as the person. */
  actingAs: z.object({ accountName: z.string(), operatorName: z.string(), expiresAt: z.string() }).nullable(),
});
export type SupportAccessView = z.infer<typeof SupportAccessView>;

export const getSupportAccess = endpoint({
  method: 'GET',
  path: '/api/v1/support-access',
  summary: 'Whether you allow operators to act as you (and whether one does now)',
  tags: ['accounts'],
  response: SupportAccessView,
});

export const GrantSupportAccessInput = z.strictObject({ hours: z.number().int().min(1).max(72) });
export const grantSupportAccess = endpoint({
  method: 'POST',
  path: '/api/v1/support-access',
  summary: 'Allow the operators of this instance to act as you, for a limited time (they see your data as you do)',
  tags: ['accounts'],
  body: GrantSupportAccessInput,
  response: SupportAccessView,
});

export const revokeSupportAccess = endpoint({
  method: 'DELETE',
  path: '/api/v1/support-access',
  summary: 'Withdraw operator access at once; any operator acting as you is signed out',
  tags: ['accounts'],
  response: SupportAccessView,
});

export const stopImpersonation = endpoint({
  method: 'POST',
  path: '/api/v1/support-access/stop',
  summary: 'An operator acting as a person stops: the session ends',
  tags: ['accounts'],
  body: z.strictObject({}),
  response: z.object({ ok: z.literal(true) }),
});
