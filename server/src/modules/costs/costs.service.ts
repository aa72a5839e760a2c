import type { AdvisorView, CostGroup, CostReport, CostRow, MarginReport, MarginRow } from '@csme/contracts/costs';
import type { Ctx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { modelPricesSetting } from '#modules/models/index.js';
import { listPlans } from '#modules/plans/index.js';
import { costsSetting } from './costs.config.js';
import {
  adviseQuota,
  computeMicros,
  csvLine,
  marginBasisPoints,
  monthOf,
  monthStart,
  monthsBetween,
  perRun,
  revenueMicros,
} from './costs.policy.js';
import {
  aggregateModels,
  aggregateRuns,
  packLabels,
  planNames,
  type RunAggregate,
  revenueRows,
  spaceLabels,
  spaceRunsOnPlan,
} from './costs.repository.js';

const MAX_MONTHS = 36;

/** The months of a report: `to` defaults to the current month, `from` to five months before it. */
export function resolveRange(ctx: Ctx, q: { from?: string; to?: string }): { from: string; to: string; start: Date; end: Date } {
  const to = q.to ?? monthOf(ctx.now());
  const from = q.from ?? monthOf(monthStart(to, -5));
  if (from > to) throw new AppError('invalid_input', 'query.from: must not be after query.to');
  if (monthsBetween(from, to).length > MAX_MONTHS)
    throw new AppError('invalid_input', `query.from: a report covers at most ${MAX_MONTHS} months`);
  return { from, to, start: monthStart(from), end: monthStart(to, 1) };
}

async function rate(ctx: Ctx): Promise<number> {
  return (await ctx.deps.settings.get(modelPricesSetting)).computeMicrosPerRunSecond;
}

function toRow(
  a: { key: string; label: string; runs: number; ms: bigint; model: bigint; tin: bigint; tout: bigint },
  perSecond: number,
): CostRow {
  const compute = computeMicros(perSecond, a.ms);
  const cost = Number(a.model) + compute;
  return {
    key: a.key,
    label: a.label,
    runs: a.runs,
    runMs: Number(a.ms),
    tokensIn: Number(a.tin),
    tokensOut: Number(a.tout),
    modelMicros: Number(a.model),
    computeMicros: compute,
    costMicros: cost,
    costPerRunMicros: perRun(cost, a.runs),
  };
}

const sum = (rows: readonly RunAggregate[]) =>
  rows.reduce(
    (t, r) => ({
      runs: t.runs + r.runs,
      ms: t.ms + BigInt(r.ms),
      model: t.model + BigInt(r.model_micros),
      tin: t.tin + BigInt(r.tokens_in),
      tout: t.tout + BigInt(r.tokens_out),
    }),
    { runs: 0, ms: 0n, model: 0n, tin: 0n, tout: 0n },
  );

const fromAgg = (r: RunAggregate) => ({
  runs: r.runs,
  ms: BigInt(r.ms),
  model: BigInt(r.model_micros),
  tin: BigInt(r.tokens_in),
  tout: BigInt(r.tokens_out),
});

/**
 * Cost of runs by plan, agent, pack, model or space over whole months (UTC, by the run's start):
 * model calls (their metered cost) plus compute (rate x run time). By model, only model calls count
 * (compute belongs to runs, not to a model), taken by the time of the call.
 */
export async function costReport(ctx: Ctx, q: { from?: string; to?: string; by: CostGroup; limit: number }): Promise<CostReport> {
  const range = resolveRange(ctx, q);
  const perSecond = await rate(ctx);
  const db = ctx.deps.db;
  let rows: CostRow[];
  let total: CostRow;
  if (q.by === 'model') {
    const models = await aggregateModels(db, { from: range.start, to: range.end });
    const agg = models.map((m) => ({
      key: m.key,
      runs: m.runs,
      ms: '0',
      model_micros: m.model_micros,
      tokens_in: m.tokens_in,
      tokens_out: m.tokens_out,
      month: null,
    }));
    rows = agg.map((m) => toRow({ key: m.key, label: m.key, ...fromAgg(m) }, perSecond));
    total = toRow({ key: 'total', label: 'Total', ...sum(agg) }, perSecond);
  } else {
    const agg = await aggregateRuns(db, { from: range.start, to: range.end, by: q.by });
    const labels = await labelsFor(
      ctx,
      q.by,
      agg.map((a) => a.key),
    );
    rows = agg.map((a) => toRow({ key: a.key, label: labels.get(a.key) ?? a.key, ...fromAgg(a) }, perSecond));
    total = toRow({ key: 'total', label: 'Total', ...sum(agg) }, perSecond);
  }
  rows.sort((a, b) => b.costMicros - a.costMicros || a.key.localeCompare(b.key));
  return { from: range.from, to: range.to, by: q.by, computeMicrosPerRunSecond: perSecond, rows: rows.slice(0, q.limit), total };
}

async function labelsFor(ctx: Ctx, by: CostGroup, keys: string[]): Promise<Map<string, string>> {
  const db = ctx.deps.db;
  if (by === 'plan') return new Map([...(await planNames(db))].map(([id, p]) => [id, p.name]));
  if (by === 'space') return spaceLabels(db, keys);
  const l = await packLabels(db);
  return by === 'pack' ? l.packs : l.agents;
}

/** Revenue (paid invoices net of tax), cost and gross margin by plan and month, in micro-dollars. */
export async function marginReport(ctx: Ctx, q: { from?: string; to?: string }): Promise<MarginReport> {
  const range = resolveRange(ctx, q);
  const db = ctx.deps.db;
  const perSecond = await rate(ctx);
  const { microsPerAgora } = await ctx.deps.settings.get(costsSetting);
  const names = await planNames(db);
  const runs = await aggregateRuns(db, { from: range.start, to: range.end, by: 'plan', byMonth: true });
  const revenue = await revenueRows(db, { from: range.start, to: range.end });
  const months = monthsBetween(range.from, range.to);
  const plans = [...names].sort((a, b) => a[1].sort - b[1].sort).map(([id, p]) => ({ id, name: p.name }));
  const cell = (month: string | null, planId: string | null) => {
    const rs = runs.filter((r) => (month === null || r.month === month) && (planId === null || r.key === planId));
    const rev = revenue
      .filter((r) => (month === null || r.month === month) && (planId === null || r.plan_id === planId))
      .reduce((n, r) => n + revenueMicros(r.currency, BigInt(r.subtotal), microsPerAgora), 0);
    const t = sum(rs);
    const cost = Number(t.model) + computeMicros(perSecond, t.ms);
    return {
      runs: t.runs,
      costMicros: cost,
      revenueMicros: rev,
      marginMicros: rev - cost,
      marginBasisPoints: marginBasisPoints(rev, cost),
    };
  };
  const row = (month: string | null, plan: { id: string; name: string } | null): MarginRow => ({
    month,
    planId: plan?.id ?? 'all',
    planName: plan?.name ?? 'All plans',
    ...cell(month, plan?.id ?? null),
  });
  return {
    from: range.from,
    to: range.to,
    months,
    plans,
    rows: months.flatMap((m) => plans.map((p) => row(m, p))),
    byPlan: plans.map((p) => row(null, p)),
    byMonth: months.map((m) => row(m, null)),
    total: row(null, null),
    microsPerAgora,
  };
}

/** The report as CSV (integer micro-dollars, so a spreadsheet sums them exactly). */
export async function costsCsv(ctx: Ctx, q: { from?: string; to?: string; report: 'costs' | 'margins'; by: CostGroup }): Promise<string> {
  if (q.report === 'margins') {
    const r = await marginReport(ctx, q);
    const head = ['month', 'plan', 'plan_name', 'runs', 'cost_micros', 'revenue_micros', 'margin_micros', 'margin_basis_points'];
    const lines = [...r.rows, ...r.byPlan].map((x) =>
      csvLine([x.month ?? 'all', x.planId, x.planName, x.runs, x.costMicros, x.revenueMicros, x.marginMicros, x.marginBasisPoints]),
    );
    return `${[csvLine(head), ...lines].join('\r\n')}\r\n`;
  }
  const r = await costReport(ctx, { ...q, limit: 500 });
  const head = [
    'key',
    'label',
    'runs',
    'run_ms',
    'tokens_in',
    'tokens_out',
    'model_micros',
    'compute_micros',
    'cost_micros',
    'cost_per_run_micros',
  ];
  const lines = [...r.rows, r.total].map((x) =>
    csvLine([x.key, x.label, x.runs, x.runMs, x.tokensIn, x.tokensOut, x.modelMicros, x.computeMicros, x.costMicros, x.costPerRunMicros]),
  );
  return `${[csvLine(head), ...lines].join('\r\n')}\r\n`;
}

/**
 * The quota advisor for one plan: measures each space's cost per run on that plan over the last
 * `months` months (the current one included), takes the 90th-percentile space, and proposes the
 * runs-per-month limit that keeps the target margin for it (see adviseQuota).
 */
export async function quotaAdvice(
  ctx: Ctx,
  q: { planId: string; targetMarginBasisPoints?: number; budgetMicros?: number; months: number },
): Promise<AdvisorView> {
  const plan = (await listPlans(ctx.deps.db)).find((p) => p.id === q.planId);
  if (plan?.kind !== 'base') throw new AppError('not_found', `There is no base plan "${q.planId}".`);
  const now = ctx.now();
  const from = monthStart(monthOf(now), -(q.months - 1));
  const perSecond = await rate(ctx);
  const rows = await spaceRunsOnPlan(ctx.deps.db, { from, to: now, planId: plan.id });
  const usd = plan.prices.find((p) => p.currency === 'USD' && p.interval === 'month');
  const priceMicros = usd ? revenueMicros('USD', usd.amount, 0) : null;
  const r = adviseQuota({
    priceMicros,
    targetMarginBasisPoints: q.targetMarginBasisPoints,
    budgetMicros: q.budgetMicros,
    currentLimit: plan.limits.runsPerMonth ?? null,
    spaces: rows.map((s) => ({ key: s.key, runs: s.runs, costMicros: Number(s.model_micros) + computeMicros(perSecond, BigInt(s.ms)) })),
  });
  return {
    planId: plan.id,
    planName: plan.name,
    window: { from: from.toISOString(), to: now.toISOString() },
    priceMicros,
    targetMarginBasisPoints: priceMicros ? (q.targetMarginBasisPoints ?? null) : null,
    allowedCostMicros: r.allowedCostMicros,
    currentLimit: plan.limits.runsPerMonth ?? null,
    spaces: r.spaces,
    runs: r.runs,
    costPerRun: { meanMicros: r.meanMicros, p50Micros: r.p50Micros, p90Micros: r.p90Micros },
    p90Space: r.p90Space,
    proposedRunsPerMonth: r.proposedRunsPerMonth,
    currentLimitMarginBasisPoints: r.currentLimitMarginBasisPoints,
    notes: r.notes,
  };
}

/** What one space's runs cost between two instants (the admin console's space view). */
export async function costOfSpace(ctx: Ctx, spaceId: string, from: Date, to: Date): Promise<{ runs: number; costMicros: number }> {
  const agg = await aggregateRuns(ctx.deps.db, { from, to, by: 'space', spaceId });
  const t = sum(agg);
  return { runs: t.runs, costMicros: Number(t.model) + computeMicros(await rate(ctx), t.ms) };
}
