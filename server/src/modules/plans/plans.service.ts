import type { FullLimits, PlanLimits, PlanView, Price, UsageView } from '@csme/contracts/plans';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { effectiveLimits, type LimitKey, limitMessage, limitValue, offerFor, quotaPeriod, type UpgradeTarget } from './plans.policy.js';
import { presentPlan } from './plans.presenter.js';
import {
  addExtraUsage,
  endLiveAddon,
  endLiveBaseSubscription,
  endSubscriptionRow,
  findLiveSubscriptionByRef,
  findPlanVersion,
  findSubscriptionById,
  findUsage,
  insertNextPlanVersion,
  insertSubscription,
  listAllPlanVersions,
  listCurrentPlanVersions,
  listLiveSubscriptions,
  listLiveSubscriptionsVersioned,
  listPastDueSubscriptions,
  listSubscriptionsOnOtherVersions,
  listSubscriptionsPastPeriod,
  takeUsage,
  updateSubscriptionRow,
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
    readonly providerRef: string | null;
    readonly planVersionId: string;
    readonly trialEnd: Date | null;
    readonly pastDueSince: Date | null;
    /** Set when a past-due grace period ran out: the space has Free limits until it pays. */
    readonly restrictedAt: Date | null;
  };
  readonly quota: { readonly start: Date; readonly end: Date };
}

export async function listPlans(db: Db): Promise<PlanView[]> {
  return (await listCurrentPlanVersions(db)).map(presentPlan);
}

/** What a space may do now: its plan, add-ons, effective limits and current quota month. */
export async function getEntitlements(db: Db, spaceId: string, now: Date): Promise<Entitlements> {
  return entitlementsOf(db, spaceId, await listLiveSubscriptions(db, spaceId), now);
}

type LiveSubscription = Awaited<ReturnType<typeof listLiveSubscriptions>>[number];

async function entitlementsOf(db: Db, spaceId: string, subs: LiveSubscription[], now: Date): Promise<Entitlements> {
  const base = subs.find((s) => s.kind === 'base');
  if (!base) throw new AppError('internal', `space ${spaceId} has no base plan`);
  const plan = presentPlan({ ...base, id: base.plan_version_id, kind: 'base' });
  // An add-on whose grace period ran out adds nothing until it is paid.
  const addons = subs
    .filter((s) => s.kind === 'addon' && !s.restricted_at)
    .map((s) => presentPlan({ ...s, id: s.plan_version_id, kind: 'addon' }));
  // A base plan whose grace period ran out gives Free's limits (the subscription itself is kept).
  const baseLimits = base.restricted_at ? await currentFreeLimits(db) : plan.limits;
  return {
    spaceId,
    plan,
    addons,
    limits: effectiveLimits(
      baseLimits,
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
      providerRef: base.provider_ref,
      planVersionId: base.plan_version_id,
      trialEnd: base.trial_end,
      pastDueSince: base.past_due_since,
      restrictedAt: base.restricted_at,
    },
    quota: quotaPeriod({ planId: plan.id, anchor: base.quota_anchor, now }),
  };
}

/** Entitlements as they were read, with the stamp of the subscription rows they came from. */
export interface StampedEntitlements {
  readonly ent: Entitlements;
  /** `id:xmin` of each live subscription, ordered by id: changes whenever any of them changes. */
  readonly stamp: string;
}

const STAMPED_TTL_MS = 60_000;
const STAMPED_MAX = 10_000;
const stamped = new Map<string, { at: number; value: StampedEntitlements }>();

/**
 * Entitlements for the hot path (admission), cached per space in this process. A cached copy is only
 * a proposal: the caller passes its stamp to the statement that takes the quota, which compares it with
 * the live subscriptions and refuses a stale one (then `forgetEntitlements` and ask again). So limits
 * stay exact to the run while the lookup costs nothing most of the time. The quota month is computed
 * afresh from `now` on every call.
 */
export async function stampedEntitlements(db: Db, spaceId: string, now: Date): Promise<StampedEntitlements> {
  const hit = stamped.get(spaceId);
  if (hit && Date.now() - hit.at < STAMPED_TTL_MS) {
    const ent = hit.value.ent;
    const sub = ent.subscription;
    return { stamp: hit.value.stamp, ent: { ...ent, quota: quotaPeriod({ planId: ent.plan.id, anchor: sub.quotaAnchor, now }) } };
  }
  const subs = await listLiveSubscriptionsVersioned(db, spaceId);
  const ent = await entitlementsOf(db, spaceId, subs, now);
  const stamp = subs
    .map((s) => `${s.id}:${s.row_version}`)
    .sort()
    .join(',');
  const value = { ent, stamp };
  stamped.delete(spaceId);
  stamped.set(spaceId, { at: Date.now(), value });
  if (stamped.size > STAMPED_MAX) stamped.delete(stamped.keys().next().value!);
  return value;
}

export function forgetEntitlements(spaceId: string): void {
  stamped.delete(spaceId);
}

async function currentFreeLimits(db: Db) {
  const free = (await listPlans(db)).find((p) => p.id === 'free');
  if (!free) throw new AppError('internal', 'the plan catalog has no Free plan');
  return free.limits;
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
 * (the offline path used by `csme admin plan`; billing uses startSubscription with periods of its own).
 */
export async function setBasePlan(
  db: Db,
  a: { spaceId: string; planId: string; now: Date; provider: string; interval?: 'month' | 'year'; currency?: string; providerRef?: string },
): Promise<void> {
  const paid = a.planId !== 'free';
  const interval = paid ? (a.interval ?? 'month') : null;
  await startSubscription(db, {
    spaceId: a.spaceId,
    planId: a.planId,
    kind: 'base',
    status: 'active',
    interval,
    currency: paid ? (a.currency ?? 'USD') : null,
    anchor: a.now,
    periodStart: a.now,
    periodEnd: interval ? addInterval(a.now, interval) : null,
    provider: a.provider,
    providerRef: a.providerRef ?? null,
    now: a.now,
  });
}

/** `start` plus one month or one year (month ends clamp: Jan 31 + 1 month = Feb 28/29). */
export function addInterval(start: Date, interval: 'month' | 'year', times = 1): Date {
  const end = DateTime.fromJSDate(start, { zone: 'utc' });
  return end.plus(interval === 'year' ? { years: times } : { months: times }).toJSDate();
}

export interface StartSubscriptionInput {
  spaceId: string;
  planId: string;
  /** A specific plan version (a subscriber keeps theirs); the current one when omitted. */
  planVersionId?: string;
  kind: 'base' | 'addon';
  status: 'trialing' | 'active' | 'past_due';
  interval: 'month' | 'year' | null;
  currency: string | null;
  anchor: Date;
  periodStart: Date;
  periodEnd: Date | null;
  provider: string;
  providerRef?: string | null;
  trialEnd?: Date | null;
  pastDueSince?: Date | null;
  now: Date;
}

/**
 * Starts a subscription, ending the live one it replaces (the space's base plan, or the same add-on).
 * Runs in the caller's transaction; the caller applies the new limits (applyPlanLimits).
 */
export async function startSubscription(db: Db, a: StartSubscriptionInput): Promise<string> {
  let versionId = a.planVersionId;
  let kind: string;
  if (versionId) {
    const v = await findPlanVersion(db, versionId);
    if (!v || v.plan_id !== a.planId) throw new AppError('invalid_input', `Plan version ${versionId} is not a version of "${a.planId}".`);
    kind = v.kind;
  } else {
    const plan = (await listPlans(db)).find((p) => p.id === a.planId);
    if (!plan) throw new AppError('invalid_input', `There is no plan "${a.planId}".`);
    versionId = plan.versionId;
    kind = plan.kind;
  }
  if (kind !== a.kind) throw new AppError('invalid_input', `"${a.planId}" is not a ${a.kind === 'base' ? 'base plan' : 'add-on'}.`);
  if (a.kind === 'base') await endLiveBaseSubscription(db, a.spaceId, a.now);
  else await endLiveAddon(db, a.spaceId, a.planId, a.now);
  const id = newId();
  await insertSubscription(db, {
    id,
    space_id: a.spaceId,
    plan_id: a.planId,
    plan_version_id: versionId,
    kind: a.kind,
    status: a.status,
    billing_interval: a.interval,
    currency: a.currency,
    quota_anchor: a.anchor,
    current_period_start: a.periodStart,
    current_period_end: a.periodEnd,
    provider: a.provider,
    provider_ref: a.providerRef ?? null,
    trial_end: a.trialEnd ?? null,
    past_due_since: a.pastDueSince ?? null,
    created_at: a.now,
    updated_at: a.now,
  });
  return id;
}

export type SubscriptionRow = NonNullable<Awaited<ReturnType<typeof findSubscriptionById>>>;

export const findSubscription = (db: Db, id: string) => findSubscriptionById(db, id);
export const findLiveSubscriptionByProviderRef = (db: Db, provider: string, ref: string) => findLiveSubscriptionByRef(db, provider, ref);
export const listLiveSubscriptionsOf = (db: Db, spaceId: string) => listLiveSubscriptions(db, spaceId);
export const listSubscriptionsDue = (db: Db, now: Date, limit = 100) => listSubscriptionsPastPeriod(db, now, limit);
export const listPastDue = (db: Db, limit = 100) => listPastDueSubscriptions(db, limit);
export const listSubscribersOnOlderVersions = (db: Db, planId: string, currentVersionId: string) =>
  listSubscriptionsOnOtherVersions(db, planId, currentVersionId);

export interface SubscriptionPatch {
  status?: 'trialing' | 'active' | 'past_due';
  planVersionId?: string;
  periodStart?: Date;
  periodEnd?: Date | null;
  cancelAtPeriodEnd?: boolean;
  providerRef?: string | null;
  trialEnd?: Date | null;
  pastDueSince?: Date | null;
  restrictedAt?: Date | null;
}

export async function updateSubscription(db: Db, id: string, p: SubscriptionPatch, now: Date): Promise<void> {
  await updateSubscriptionRow(db, id, {
    ...(p.status !== undefined ? { status: p.status } : {}),
    ...(p.planVersionId !== undefined ? { plan_version_id: p.planVersionId } : {}),
    ...(p.periodStart !== undefined ? { current_period_start: p.periodStart } : {}),
    ...(p.periodEnd !== undefined ? { current_period_end: p.periodEnd } : {}),
    ...(p.cancelAtPeriodEnd !== undefined ? { cancel_at_period_end: p.cancelAtPeriodEnd } : {}),
    ...(p.providerRef !== undefined ? { provider_ref: p.providerRef } : {}),
    ...(p.trialEnd !== undefined ? { trial_end: p.trialEnd } : {}),
    ...(p.pastDueSince !== undefined ? { past_due_since: p.pastDueSince } : {}),
    ...(p.restrictedAt !== undefined ? { restricted_at: p.restrictedAt } : {}),
    updated_at: now,
  });
}

/** Ends one subscription (an add-on, or a base plan that another replaces at once). False if it had ended. */
export const endSubscription = (db: Db, id: string, at: Date) => endSubscriptionRow(db, id, at);

/** A plan version by id, with its plan's name and kind. */
export async function getPlanVersion(db: Db, id: string): Promise<PlanView> {
  const v = await findPlanVersion(db, id);
  if (!v) throw new AppError('not_found', 'That plan version was not found.');
  return presentPlan(v);
}

/** Every version of every plan (newest first) with how many live subscriptions each has. */
export async function listPlanVersions(db: Db): Promise<Array<PlanView & { note: string | null; createdAt: Date; subscribers: number }>> {
  return (await listAllPlanVersions(db)).map((r) => ({
    ...presentPlan(r),
    note: r.note,
    createdAt: r.created_at,
    subscribers: Number(r.subscribers ?? 0),
  }));
}

/**
 * A new version of a plan with changed prices and/or limits (the rest copied from the current one).
 * Existing subscribers keep the version they bought until they change plan or are migrated.
 */
export async function createPlanVersion(
  db: Db,
  a: { planId: string; limits?: PlanLimits; prices?: Price[]; note: string; by: string | null; now: Date },
): Promise<PlanView> {
  const current = (await listPlans(db)).find((p) => p.id === a.planId);
  if (!current) throw new AppError('not_found', `There is no plan "${a.planId}".`);
  const id = newId();
  await insertNextPlanVersion(db, {
    id,
    plan_id: a.planId,
    limits: JSON.stringify(a.limits ?? current.limits),
    prices: JSON.stringify(a.prices ?? current.prices),
    note: a.note,
    created_by: a.by,
    created_at: a.now,
  });
  return getPlanVersion(db, id);
}

/** Adds bought runs to the space's current quota month (they expire with it). */
export async function addExtraRuns(db: Db, ent: Entitlements, n: number): Promise<{ used: number; limit: number }> {
  const row = await addExtraUsage(db, {
    spaceId: ent.spaceId,
    metric: 'runs',
    periodStart: ent.quota.start,
    periodEnd: ent.quota.end,
    baseLimit: ent.limits.runsPerMonth,
    n,
  });
  return { used: row.used, limit: row.base_limit + row.extra };
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
