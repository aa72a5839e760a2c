import type { FullLimits, PlanView, UsageView } from '@csme/contracts/plans';
import { sql } from 'kysely';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { effectiveLimits, type LimitKey, limitMessage, limitValue, offerFor, quotaPeriod, type UpgradeTarget } from './plans.policy.js';
import { presentPlan } from './plans.presenter.js';
import {
  endLiveBaseSubscription,
  findUsage,
  insertSubscription,
  listCurrentPlanVersions,
  listLiveSubscriptions,
  takeUsage,
} from './plans.repository.js';

export interface Entitlements {
  readonly spaceId: string;
  readonly plan: PlanView;
  readonly addons: PlanView[];
  readonly limits: FullLimits;
  readonly subscription: {
    readonly id: string;
    readonly status: 'trialing' | 'active' | 'past_due' | 'canceled';
    readonly interval: 'month' | 'year' | null;
    readonly currency: string | null;
    readonly quotaAnchor: Date;
    readonly periodStart: Date;
    readonly periodEnd: Date | null;
    readonly cancelAtPeriodEnd: boolean;
    readonly provider: string;
  };
  readonly quota: { readonly start: Date; readonly end: Date };
}

export async function listPlans(db: Db): Promise<PlanView[]> {
  return (await listCurrentPlanVersions(db)).map(presentPlan);
}

/** What a space may do now: its plan, add-ons, effective limits and current quota month. */
export async function getEntitlements(db: Db, spaceId: string, now: Date): Promise<Entitlements> {
  const subs = await listLiveSubscriptions(db, spaceId);
  const base = subs.find((s) => s.kind === 'base');
  if (!base) throw new AppError('internal', `space ${spaceId} has no base plan`);
  const plan = presentPlan({ ...base, id: base.plan_version_id, kind: 'base' });
  const addons = subs.filter((s) => s.kind === 'addon').map((s) => presentPlan({ ...s, id: s.plan_version_id, kind: 'addon' }));
  return {
    spaceId,
    plan,
    addons,
    limits: effectiveLimits(
      plan.limits,
      addons.map((a) => a.limits),
    ),
    subscription: {
      id: base.id,
      status: base.status as Entitlements['subscription']['status'],
      interval: base.billing_interval as 'month' | 'year' | null,
      currency: base.currency,
      quotaAnchor: base.quota_anchor,
      periodStart: base.current_period_start,
      periodEnd: base.current_period_end,
      cancelAtPeriodEnd: base.cancel_at_period_end,
      provider: base.provider,
    },
    quota: quotaPeriod({ planId: plan.id, anchor: base.quota_anchor, now }),
  };
}

/** The next plan up that raises this limit, for the offer in a refusal. */
export async function upgradeTarget(db: Db, ent: Entitlements, key: LimitKey): Promise<UpgradeTarget | null> {
  const current = limitValue(ent.limits, key);
  const catalog = (await listPlans(db)).filter((p) => p.kind === 'base');
  const order = ['free', 'pro', 'family'];
  const from = order.indexOf(ent.plan.id);
  for (const p of catalog.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))) {
    if (order.indexOf(p.id) <= from) continue;
    const lim = effectiveLimits(p.limits, []);
    if (key === 'connectors') {
      if (ent.limits.connectors === 'basic' && lim.connectors === 'all') return { planId: p.id, planName: p.name, limit: 0 };
      continue;
    }
    const v = limitValue(lim, key);
    if (v !== null && current !== null && v > current) return { planId: p.id, planName: p.name, limit: v };
  }
  return null;
}

/** The refusal a person reads when a limit stops them, with the offer to lift it. */
export async function limitError(db: Db, ent: Entitlements, key: LimitKey, used: number): Promise<AppError> {
  const limit = limitValue(ent.limits, key) ?? 0;
  const upgrade = await upgradeTarget(db, ent, key);
  return new AppError('quota_exceeded', limitMessage({ key, planName: ent.plan.name, limit, used, upgrade }), {
    limit: key,
    allowed: limit,
    used,
    plan: ent.plan.id,
    offers: offerFor(key, upgrade),
  });
}

/**
 * Checks a countable limit before adding `adding` more. The caller counts under a lock on the
 * space (see lockSpaceForLimits) so that two concurrent requests cannot both pass.
 */
export async function assertWithinLimit(
  db: Db,
  ent: Entitlements,
  key: Exclude<LimitKey, 'runs' | 'connectors'>,
  used: number,
  adding = 1,
): Promise<void> {
  const limit = limitValue(ent.limits, key);
  if (limit !== null && used + adding > limit) throw await limitError(db, ent, key, used);
}

/**
 * Serialises limit checks of one space (install, enable, invite) until the transaction ends. An
 * advisory lock, so that tenant transactions (role csme_app) can take it too.
 */
export async function lockSpaceForLimits(db: Db, spaceId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`limits:${spaceId}`}))`.execute(db);
}

export interface RunTake {
  readonly admitted: boolean;
  readonly used: number;
  readonly limit: number;
  readonly periodStart: Date;
}

/** Takes runs from the quota month with one conditional statement; concurrent callers never exceed the limit. */
export async function takeRuns(db: Db, ent: Entitlements, n = 1): Promise<RunTake> {
  const row = await takeUsage(db, {
    spaceId: ent.spaceId,
    metric: 'runs',
    periodStart: ent.quota.start,
    periodEnd: ent.quota.end,
    baseLimit: ent.limits.runsPerMonth,
    n,
  });
  if (row) return { admitted: true, used: row.used, limit: row.base_limit + row.extra, periodStart: ent.quota.start };
  const current = await findUsage(db, ent.spaceId, 'runs', ent.quota.start);
  return {
    admitted: false,
    used: current?.used ?? 0,
    limit: (current?.base_limit ?? ent.limits.runsPerMonth) + (current?.extra ?? 0),
    periodStart: ent.quota.start,
  };
}

/** The plan a new space starts on: Free, on its current version. */
export async function startFreePlan(db: Db, spaceId: string, now: Date): Promise<void> {
  await setBasePlan(db, { spaceId, planId: 'free', now, provider: 'none' });
}

/**
 * Ends the space's base subscription and starts `planId` on its current version, effective now
 * (the offline path used by `csme admin plan`; billing builds proration and periods on top).
 */
export async function setBasePlan(
  db: Db,
  a: { spaceId: string; planId: string; now: Date; provider: string; interval?: 'month' | 'year'; currency?: string; providerRef?: string },
): Promise<void> {
  const plans = await listPlans(db);
  const plan = plans.find((p) => p.id === a.planId && p.kind === 'base');
  if (!plan) throw new AppError('invalid_input', `There is no base plan "${a.planId}".`);
  await endLiveBaseSubscription(db, a.spaceId, a.now);
  const paid = a.planId !== 'free';
  const interval = paid ? (a.interval ?? 'month') : null;
  const end = paid ? new Date(a.now) : null;
  if (end) end.setUTCMonth(end.getUTCMonth() + (interval === 'year' ? 12 : 1));
  await insertSubscription(db, {
    id: newId(),
    space_id: a.spaceId,
    plan_id: plan.id,
    plan_version_id: plan.versionId,
    kind: 'base',
    status: 'active',
    billing_interval: interval,
    currency: paid ? (a.currency ?? 'USD') : null,
    quota_anchor: a.now,
    current_period_start: a.now,
    current_period_end: end,
    provider: a.provider,
    provider_ref: a.providerRef ?? null,
  });
}

/** The active space's plan, limits and usage; counts come from the modules that own each kind of object. */
export async function getUsageView(ctx: ActorCtx): Promise<UsageView> {
  const spaceId = ctx.actor.spaceId;
  // Limits are pooled across a family space, private objects included: count as the system, for this space only.
  const systemDb = ctx.deps.db;
  const ent = await getEntitlements(systemDb, spaceId, ctx.now());
  const runs = await findUsage(systemDb, spaceId, 'runs', ent.quota.start);
  const meters: UsageView['meters'] = [{ key: 'runs', used: runs?.used ?? 0, limit: ent.limits.runsPerMonth + (runs?.extra ?? 0) }];
  for (const key of ['packs', 'agents', 'connectors', 'members'] as const) {
    const meter = ctx.deps.usageMeters[key];
    if (!meter) continue;
    meters.push({ key, used: await meter(systemDb, spaceId), limit: limitValue(ent.limits, key) });
  }
  return {
    spaceId,
    plan: ent.plan,
    addons: ent.addons,
    subscription: {
      status: ent.subscription.status,
      interval: ent.subscription.interval,
      currentPeriodStart: ent.subscription.periodStart.toISOString(),
      currentPeriodEnd: ent.subscription.periodEnd?.toISOString() ?? null,
      cancelAtPeriodEnd: ent.subscription.cancelAtPeriodEnd,
    },
    quotaPeriod: { start: ent.quota.start.toISOString(), end: ent.quota.end.toISOString() },
    meters,
    limits: ent.limits,
  };
}

/** After a plan change: each module pauses what is over the new limits (and resumes what fits again). */
export async function applyPlanLimits(ctx: Ctx, spaceId: string): Promise<FullLimits> {
  const ent = await getEntitlements(ctx.db, spaceId, ctx.now());
  for (const m of ctx.deps.modules) if (m.enforceLimits) await m.enforceLimits(ctx, spaceId, ent.limits);
  return ent.limits;
}
