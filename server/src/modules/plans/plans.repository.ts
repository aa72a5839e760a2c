import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { PlanVersion, Subscription } from '#core/db.types.js';

export async function listCurrentPlanVersions(db: Db) {
  return db
    .selectFrom('plan_version as v')
    .innerJoin('plan as p', 'p.id', 'v.plan_id')
    .select(['v.id', 'v.plan_id', 'v.version', 'v.limits', 'v.prices', 'p.name', 'p.kind', 'p.sort'])
    .where('v.version', '=', (eb) =>
      eb
        .selectFrom('plan_version as v2')
        .select((e) => e.fn.max('v2.version').as('m'))
        .whereRef('v2.plan_id', '=', 'v.plan_id'),
    )
    .orderBy('p.sort')
    .execute();
}

export async function findPlanVersion(db: Db, id: string) {
  return db
    .selectFrom('plan_version as v')
    .innerJoin('plan as p', 'p.id', 'v.plan_id')
    .select(['v.id', 'v.plan_id', 'v.version', 'v.limits', 'v.prices', 'p.name', 'p.kind', 'p.sort'])
    .where('v.id', '=', id)
    .executeTakeFirst();
}

const SUBSCRIPTION_COLUMNS = [
  's.id',
  's.space_id',
  's.plan_id',
  's.plan_version_id',
  's.kind',
  's.status',
  's.billing_interval',
  's.currency',
  's.quota_anchor',
  's.current_period_start',
  's.current_period_end',
  's.cancel_at_period_end',
  's.provider',
  's.provider_ref',
  's.trial_end',
  's.past_due_since',
  's.restricted_at',
  's.ended_at',
  's.created_at',
  'v.version',
  'v.prices',
  'v.limits',
  'p.name',
] as const;

function subscriptions(db: Db) {
  return db
    .selectFrom('subscription as s')
    .innerJoin('plan_version as v', 'v.id', 's.plan_version_id')
    .innerJoin('plan as p', 'p.id', 's.plan_id')
    .select(SUBSCRIPTION_COLUMNS);
}

/** The live subscriptions of a space (its base plan and add-ons) with their plan versions. */
export async function listLiveSubscriptions(db: Db, spaceId: string) {
  return subscriptions(db).where('s.space_id', '=', spaceId).where('s.ended_at', 'is', null).orderBy('s.kind').execute();
}

/**
 * The same, with each row's version (its xmin: any update of the row changes it), from which the
 * admission statement can tell that a cached copy still holds (app_admit_runs computes the same stamp).
 */
export async function listLiveSubscriptionsVersioned(db: Db, spaceId: string) {
  return subscriptions(db)
    .select(sql<string>`s.xmin::text`.as('row_version'))
    .where('s.space_id', '=', spaceId)
    .where('s.ended_at', 'is', null)
    .orderBy('s.kind')
    .execute();
}

export async function insertSubscription(db: Db, row: Insertable<Subscription>): Promise<void> {
  await db.insertInto('subscription').values(row).execute();
}

export async function findSubscriptionById(db: Db, id: string) {
  return subscriptions(db).where('s.id', '=', id).executeTakeFirst();
}

/** The live subscription a provider knows by this reference (system lookup for provider events). */
export async function findLiveSubscriptionByRef(db: Db, provider: string, ref: string) {
  return subscriptions(db)
    .where('s.provider', '=', provider)
    .where('s.provider_ref', '=', ref)
    .where('s.ended_at', 'is', null)
    .executeTakeFirst();
}

/** Live paid subscriptions whose period or trial has ended by `now` (system: spans spaces). */
export async function listSubscriptionsPastPeriod(db: Db, now: Date, limit: number) {
  return subscriptions(db)
    .where('s.ended_at', 'is', null)
    .where('s.current_period_end', 'is not', null)
    .where('s.current_period_end', '<=', now)
    .orderBy('s.current_period_end')
    .limit(limit)
    .execute();
}

/** Live subscriptions that are past due (system: spans spaces). */
export async function listPastDueSubscriptions(db: Db, limit: number) {
  return subscriptions(db)
    .where('s.ended_at', 'is', null)
    .where('s.status', '=', 'past_due')
    .where('s.restricted_at', 'is', null)
    .orderBy('s.past_due_since')
    .limit(limit)
    .execute();
}

/** Live subscriptions of a plan on a version other than `versionId` (system: spans spaces). */
export async function listSubscriptionsOnOtherVersions(db: Db, planId: string, versionId: string) {
  return subscriptions(db)
    .where('s.plan_id', '=', planId)
    .where('s.plan_version_id', '<>', versionId)
    .where('s.ended_at', 'is', null)
    .execute();
}

export async function updateSubscriptionRow(db: Db, id: string, patch: Updateable<Subscription>): Promise<void> {
  await db.updateTable('subscription').set(patch).where('id', '=', id).execute();
}

export async function endSubscriptionRow(db: Db, id: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('subscription')
    .set({ ended_at: at, status: 'canceled', updated_at: at })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function endLiveAddon(db: Db, spaceId: string, planId: string, at: Date): Promise<void> {
  await db
    .updateTable('subscription')
    .set({ ended_at: at, status: 'canceled', updated_at: at })
    .where('space_id', '=', spaceId)
    .where('kind', '=', 'addon')
    .where('plan_id', '=', planId)
    .where('ended_at', 'is', null)
    .execute();
}

export async function listAllPlanVersions(db: Db) {
  return db
    .selectFrom('plan_version as v')
    .innerJoin('plan as p', 'p.id', 'v.plan_id')
    .select((eb) => [
      'v.id',
      'v.plan_id',
      'v.version',
      'v.limits',
      'v.prices',
      'v.note',
      'v.created_at',
      'p.name',
      'p.kind',
      'p.sort',
      eb
        .selectFrom('subscription as s')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('s.plan_version_id', '=', 'v.id')
        .where('s.ended_at', 'is', null)
        .as('subscribers'),
    ])
    .orderBy('p.sort')
    .orderBy('v.version', 'desc')
    .execute();
}

/** Locks the plan's versions while a new one is numbered (two operators at once get 2 and 3, not 2 twice). */
export async function insertNextPlanVersion(db: Db, row: Omit<Insertable<PlanVersion>, 'version'>): Promise<number> {
  await sql`select 1 from plan where id = ${row.plan_id} for update`.execute(db);
  const r = await db
    .selectFrom('plan_version')
    .select((e) => e.fn.max('version').as('m'))
    .where('plan_id', '=', row.plan_id)
    .executeTakeFirstOrThrow();
  const version = Number(r.m ?? 0) + 1;
  await db
    .insertInto('plan_version')
    .values({ ...row, version })
    .execute();
  return version;
}

/** Adds bought runs to a quota period (creating its counter if no run was taken yet). */
export async function addExtraUsage(
  db: Db,
  a: { spaceId: string; metric: string; periodStart: Date; periodEnd: Date; baseLimit: number; n: number },
): Promise<{ used: number; base_limit: number; extra: number }> {
  const r = await sql<{ used: number; base_limit: number; extra: number }>`
    insert into usage_counter as c (space_id, metric, period_start, period_end, used, base_limit, extra)
    values (${a.spaceId}, ${a.metric}, ${a.periodStart}, ${a.periodEnd}, 0, ${a.baseLimit}, ${a.n})
    on conflict (space_id, metric, period_start) do update set extra = c.extra + ${a.n}, notified_percent = 0
    returning used, base_limit, extra`.execute(db);
  return r.rows[0]!;
}

export async function endLiveBaseSubscription(db: Db, spaceId: string, at: Date): Promise<void> {
  await db
    .updateTable('subscription')
    .set({ ended_at: at, status: 'canceled', updated_at: at })
    .where('space_id', '=', spaceId)
    .where('kind', '=', 'base')
    .where('ended_at', 'is', null)
    .execute();
}

/**
 * Takes `n` units of a metric from the quota period in one statement: the row is created on
 * first use, and the conditional update refuses when it would pass the limit, so concurrent
 * callers can never exceed it. Returns the new count, or undefined when refused.
 */
export async function takeUsage(
  db: Db,
  a: { spaceId: string; metric: string; periodStart: Date; periodEnd: Date; baseLimit: number; n: number },
): Promise<{ used: number; base_limit: number; extra: number } | undefined> {
  if (a.n > a.baseLimit) {
    const row = await sql<{ used: number; base_limit: number; extra: number }>`
      update usage_counter set used = used + ${a.n}
      where space_id = ${a.spaceId} and metric = ${a.metric} and period_start = ${a.periodStart} and used + ${a.n} <= base_limit + extra
      returning used, base_limit, extra`.execute(db);
    return row.rows[0];
  }
  const r = await sql<{ used: number; base_limit: number; extra: number }>`
    insert into usage_counter as c (space_id, metric, period_start, period_end, used, base_limit)
    values (${a.spaceId}, ${a.metric}, ${a.periodStart}, ${a.periodEnd}, ${a.n}, ${a.baseLimit})
    on conflict (space_id, metric, period_start) do update
      set used = c.used + ${a.n}, base_limit = ${a.baseLimit}
      where c.used + ${a.n} <= ${a.baseLimit} + c.extra
    returning used, base_limit, extra`.execute(db);
  return r.rows[0];
}

export async function findUsage(db: Db, spaceId: string, metric: string, periodStart: Date) {
  return db
    .selectFrom('usage_counter')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('metric', '=', metric)
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
}
