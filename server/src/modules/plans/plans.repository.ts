import { type Insertable, sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { Subscription } from '#core/db.types.js';

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

/** The live subscriptions of a space (its base plan and add-ons) with their plan versions. */
export async function listLiveSubscriptions(db: Db, spaceId: string) {
  return db
    .selectFrom('subscription as s')
    .innerJoin('plan_version as v', 'v.id', 's.plan_version_id')
    .innerJoin('plan as p', 'p.id', 's.plan_id')
    .select([
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
      'v.version',
      'v.limits',
      'v.prices',
      'p.name',
    ])
    .where('s.space_id', '=', spaceId)
    .where('s.ended_at', 'is', null)
    .orderBy('s.kind')
    .execute();
}

export async function insertSubscription(db: Db, row: Insertable<Subscription>): Promise<void> {
  await db.insertInto('subscription').values(row).execute();
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

/** Gives back units taken for something that then did not happen (never for a run that ran). */
export async function returnUsage(db: Db, a: { spaceId: string; metric: string; periodStart: Date; n: number }): Promise<void> {
  await sql`update usage_counter set used = greatest(used - ${a.n}, 0)
    where space_id = ${a.spaceId} and metric = ${a.metric} and period_start = ${a.periodStart}`.execute(db);
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
