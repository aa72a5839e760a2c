import { z } from 'zod';
import { Id } from './common.js';
import { endpoint } from './http.js';

const tags = ['plans'];

export const CURRENCIES = ['USD', 'ILS'] as const;
export const Currency = z.enum(CURRENCIES);
export type Currency = z.infer<typeof Currency>;
export const BILLING_INTERVALS = ['month', 'year'] as const;
export const BillingInterval = z.enum(BILLING_INTERVALS);
export type BillingInterval = z.infer<typeof BillingInterval>;

/** What a plan allows. Add-ons carry only what they add. */
export const PlanLimits = z.object({
  packs: z.number().int().min(0).optional(),
  agents: z.number().int().min(0).optional(),
  runsPerMonth: z.number().int().min(0).optional(),
  connectors: z.enum(['basic', 'all']).optional(),
  historyDays: z.number().int().min(1).optional(),
  queuePriority: z.enum(['normal', 'high']).optional(),
  members: z.number().int().min(1).optional(),
  publish: z.boolean().optional(),
});
export type PlanLimits = z.infer<typeof PlanLimits>;
export type FullLimits = Required<PlanLimits>;

/** An amount in minor units (cents, agorot). */
export const Price = z.object({ currency: Currency, interval: BillingInterval, amount: z.number().int().min(0) });
export type Price = z.infer<typeof Price>;

export const PlanView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['base', 'addon']),
  versionId: Id,
  version: z.number().int(),
  limits: PlanLimits,
  prices: z.array(Price),
});
export type PlanView = z.infer<typeof PlanView>;

export const listPlans = endpoint({
  method: 'GET',
  path: '/api/v1/plans',
  summary: 'The plan catalog: limits and prices of each plan',
  tags,
  response: z.object({ plans: z.array(PlanView) }),
});

export const USAGE_KEYS = ['runs', 'packs', 'agents', 'connectors', 'members'] as const;
export const UsageKey = z.enum(USAGE_KEYS);

export const UsageMeterView = z.object({
  key: UsageKey,
  used: z.number().int(),
  limit: z.number().int().nullable(),
});
export type UsageMeterView = z.infer<typeof UsageMeterView>;

export const UsageView = z.object({
  spaceId: Id,
  plan: PlanView,
  addons: z.array(PlanView),
  subscription: z.object({
    status: z.enum(['trialing', 'active', 'past_due', 'canceled']),
    interval: BillingInterval.nullable(),
    currentPeriodStart: z.string(),
    currentPeriodEnd: z.string().nullable(),
    cancelAtPeriodEnd: z.boolean(),
  }),
  quotaPeriod: z.object({ start: z.string(), end: z.string() }),
  meters: z.array(UsageMeterView),
  limits: PlanLimits,
});
export type UsageView = z.infer<typeof UsageView>;

export const getUsage = endpoint({
  method: 'GET',
  path: '/api/v1/usage',
  summary: "The active space's plan, limits and what it uses this quota month",
  tags,
  response: UsageView,
});
