import type { Insertable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Membership, Space } from '#core/db.types.js';

export async function insertSpace(db: Db, row: Insertable<Space>): Promise<void> {
  await db.insertInto('space').values(row).execute();
}

export async function insertMembership(db: Db, row: Insertable<Membership>): Promise<void> {
  await db.insertInto('membership').values(row).execute();
}

/** An account's memberships with each space's live base plan (system lookup by account). */
export async function listMembershipsOfAccount(db: Db, accountId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('space as s', 's.id', 'm.space_id')
    .leftJoin('subscription as sub', (j) => j.onRef('sub.space_id', '=', 's.id').on('sub.kind', '=', 'base').on('sub.ended_at', 'is', null))
    .leftJoin('plan as p', 'p.id', 'sub.plan_id')
    .select(['s.id', 's.name', 's.kind', 's.status', 'm.role', 'sub.plan_id', 'p.name as plan_name'])
    .where('m.account_id', '=', accountId)
    .orderBy('s.kind', 'desc')
    .orderBy('s.created_at')
    .execute();
}

export async function findMembership(db: Db, accountId: string, spaceId: string) {
  return db.selectFrom('membership').selectAll().where('account_id', '=', accountId).where('space_id', '=', spaceId).executeTakeFirst();
}

export async function countMembers(db: Db, spaceId: string): Promise<number> {
  const r = await db
    .selectFrom('membership')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('space_id', '=', spaceId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
