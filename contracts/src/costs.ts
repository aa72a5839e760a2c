import { z } from 'zod';
import { endpoint } from './http.js';

const tags = ['admin', 'costs'];

/** A calendar month in UTC, `YYYY-MM`. */
export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2026-03');

/** Months from `from` to `to`, both included (default: the last 6 months up to the current one). */
export const CostRange = z.strictObject({ from: Month.optional(), to: Month.optional() });

export const COST_GROUPS = ['plan', 'agent', 'pack', 'model', 'space'] as const;
export const CostGroup = z.enum(COST_GROUPS);
export type CostGroup = z.infer<typeof CostGroup>;

/**
 * Cost of a group of runs, in integer micro-dollars: model calls (tokens x the price table) plus
 * compute (the configured micro-dollars per run-second x the group's run time in whole milliseconds,
 * rounded half up to a micro-dollar).
 */
export const CostRow = z.object({
  key: z.string(),
  label: z.string(),
  runs: z.number().int(),
  runMs: z.number().int(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  modelMicros: z.number().int(),
  computeMicros: z.number().int(),
  costMicros: z.number().int(),
  /** costMicros / runs, rounded half up; null without runs. */
  costPerRunMicros: z.number().int().nullable(),
});
export type CostRow = z.infer<typeof CostRow>;

export const CostQuery = CostRange.extend({
  by: CostGroup.default('plan'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const CostReport = z.object({
  from: Month,
  to: Month,
  by: CostGroup,
  computeMicrosPerRunSecond: z.number().int(),
  rows: z.array(CostRow),
  total: CostRow,
});
export type CostReport = z.infer<typeof CostReport>;

export const adminCosts = endpoint({
  method: 'GET',
  path: '/api/v1/admin/costs',
  summary: 'Cost of runs (model calls and compute) by plan, agent, pack, model or space, most expensive first (operators only)',
  tags,
  query: CostQuery,
  response: CostReport,
});

/** Revenue, cost and gross margin of one plan in one month (or over the range when month is null). */
export const MarginRow = z.object({
  month: Month.nullable(),
  planId: z.string(),
  planName: z.string(),
  runs: z.number().int(),
  costMicros: z.number().int(),
  /** Paid invoices net of tax, in micro-dollars (ILS converted at the configured rate). */
  revenueMicros: z.number().int(),
  marginMicros: z.number().int(),
  /** (revenue - cost) / revenue in basis points, rounded half away from zero; null without revenue. */
  marginBasisPoints: z.number().int().nullable(),
});
export type MarginRow = z.infer<typeof MarginRow>;

export const MarginReport = z.object({
  from: Month,
  to: Month,
  months: z.array(Month),
  plans: z.array(z.object({ id: z.string(), name: z.string() })),
  rows: z.array(MarginRow),
  byPlan: z.array(MarginRow),
  byMonth: z.array(MarginRow),
  total: MarginRow,
  microsPerAgora: z.number().int(),
});
export type MarginReport = z.infer<typeof MarginReport>;

export const adminMargins = endpoint({
  method: 'GET',
  path: '/api/v1/admin/costs/margins',
  summary: 'Revenue (paid invoices), cost and gross margin by plan and by month (operators only)',
  tags,
  query: CostRange,
  response: MarginReport,
});

export const CsvQuery = CostRange.extend({ report: z.enum(['costs', 'margins']).default('costs'), by: CostGroup.default('plan') });
export const adminCostsCsv = endpoint({
  method: 'GET',
  path: '/api/v1/admin/costs/export.csv',
  summary: 'The cost or margin report as CSV (operators only)',
  tags,
  query: CsvQuery,
  response: z.string().describe('text/csv'),
});

export const AdvisorQuery = z.strictObject({
  planId: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  /** The gross margin to keep on a space that uses its whole quota at the 90th-percentile cost per run, in basis points (7000 = 70%). */
  targetMarginBasisPoints: z.coerce.number().int().min(0).max(9999).optional(),
  /** For plans without a price (Free): what a space may cost a month, in micro-dollars. */
  budgetMicros: z.coerce.number().int().min(0).max(1_000_000_000_000).optional(),
  /** How many whole months of runs to measure, up to the current one. */
  months: z.coerce.number().int().min(1).max(12).default(3),
});

export const AdvisorView = z.object({
  planId: z.string(),
  planName: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  /** The plan's current USD monthly price in micro-dollars (null: no price, e.g. Free). */
  priceMicros: z.number().int().nullable(),
  targetMarginBasisPoints: z.number().int().nullable(),
  /** What one space may cost a month and keep the target: price x (1 - margin), or the budget. */
  allowedCostMicros: z.number().int().nullable(),
  currentLimit: z.number().int().nullable(),
  spaces: z.number().int(),
  runs: z.number().int(),
  costPerRun: z.object({
    meanMicros: z.number().int().nullable(),
    p50Micros: z.number().int().nullable(),
    p90Micros: z.number().int().nullable(),
  }),
  /** The 90th-percentile space (nearest rank over spaces sorted by cost per run): its runs and cost in the window. */
  p90Space: z.object({ runs: z.number().int(), costMicros: z.number().int() }).nullable(),
  /** floor(allowed cost / p90 cost per run); null when it cannot be computed (see notes). */
  proposedRunsPerMonth: z.number().int().nullable(),
  /** The margin of the p90 space if it used the whole current limit (basis points). */
  currentLimitMarginBasisPoints: z.number().int().nullable(),
  /**
   * no_price: the plan has no price, give a budget; no_target: give a target margin; no_runs: nothing measured;
   * few_spaces: fewer than 10 spaces measured (a first estimate); free_runs: the measured runs cost nothing.
   */
  notes: z.array(z.enum(['no_price', 'no_target', 'no_runs', 'few_spaces', 'free_runs'])),
});
export type AdvisorView = z.infer<typeof AdvisorView>;

export const adminQuotaAdvisor = endpoint({
  method: 'GET',
  path: '/api/v1/admin/costs/advisor',
  summary: 'Proposes a runs-per-month limit for a plan from the measured cost per run of its 90th-percentile space (operators only)',
  tags,
  query: AdvisorQuery,
  response: AdvisorView,
});
