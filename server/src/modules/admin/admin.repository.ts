import { sql } from 'kysely';
import type { Db } from '#core/db.js';

// The console's reads across accounts and spaces: system work that spans spaces, by name.

/** Searchable text: `%` and `_` typed by an operator match themselves. */
const like = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function searchAccounts(
  db: Db,
  a: { q?: string; status: 'all' | 'active' | 'suspended'; limit: number; before?: { at: Date; id: string }; now: Date },
) {
  let q = db
    .selectFrom('account as a')
    .leftJoin('subscription as s', (j) =>
      j.onRef('s.space_id', '=', 'a.personal_space_id').on('s.kind', '=', 'base').on('s.ended_at', 'is', null),
    )
    .leftJoin('plan as p', 'p.id', 's.plan_id')
    .leftJoin('plan_version as v', 'v.id', 's.plan_version_id')
    .select([
      'a.id',
      'a.email',
      'a.display_name',
      'a.is_operator',
      'a.created_at',
      'a.suspended_at',
      'a.personal_space_id',
      'a.totp_enabled_at',
      's.plan_id',
      'p.name as plan_name',
      sql<number | null>`(v.limits->>'runsPerMonth')::int`.as('runs_limit'),
      sql<number>`coalesce((select u.used from usage_counter u where u.space_id = a.personal_space_id and u.metric = 'runs'
        and u.period_start <= ${a.now} and u.period_end > ${a.now} order by u.period_start desc limit 1), 0)`.as('runs_used'),
      sql<number>`coalesce((select u.extra from usage_counter u where u.space_id = a.personal_space_id and u.metric = 'runs'
        and u.period_start <= ${a.now} and u.period_end > ${a.now} order by u.period_start desc limit 1), 0)`.as('runs_extra'),
      sql<Date | null>`(select max(g.expires_at) from support_access g where g.account_id = a.id and g.revoked_at is null and g.expires_at > ${a.now})`.as(
        'support_until',
      ),
    ]);
  if (a.q) {
    const text = a.q.trim();
    q = q.where((e) =>
      e.or([
        e('a.email_normalized', 'like', like(text.toLowerCase())),
        e('a.display_name', 'ilike', like(text)),
        e(sql`a.id::text`, '=', text.toLowerCase()),
      ]),
    );
  }
  if (a.status === 'suspended') q = q.where('a.suspended_at', 'is not', null);
  if (a.status === 'active') q = q.where('a.suspended_at', 'is', null);
  if (a.before) {
    const b = a.before;
    q = q.where((e) => e.or([e('a.created_at', '<', b.at), e.and([e('a.created_at', '=', b.at), e('a.id', '<', b.id)])]));
  }
  return q
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(a.limit + 1)
    .execute();
}

export async function searchSpaces(db: Db, a: { q?: string; limit: number; before?: { at: Date; id: string } }) {
  let q = db
    .selectFrom('space as sp')
    .innerJoin('account as o', 'o.id', 'sp.owner_account_id')
    .leftJoin('subscription as s', (j) => j.onRef('s.space_id', '=', 'sp.id').on('s.kind', '=', 'base').on('s.ended_at', 'is', null))
    .leftJoin('plan as p', 'p.id', 's.plan_id')
    .select([
      'sp.id',
      'sp.name',
      'sp.kind',
      'sp.created_at',
      'o.email as owner_email',
      's.plan_id',
      'p.name as plan_name',
      sql<number>`(select count(*) from membership m where m.space_id = sp.id)::int`.as('members'),
    ]);
  if (a.q) {
    const text = a.q.trim();
    q = q.where((e) =>
      e.or([
        e('sp.name', 'ilike', like(text)),
        e('o.email_normalized', 'like', like(text.toLowerCase())),
        e(sql`sp.id::text`, '=', text.toLowerCase()),
      ]),
    );
  }
  if (a.before) {
    const b = a.before;
    q = q.where((e) => e.or([e('sp.created_at', '<', b.at), e.and([e('sp.created_at', '=', b.at), e('sp.id', '<', b.id)])]));
  }
  return q
    .orderBy('sp.created_at', 'desc')
    .orderBy('sp.id', 'desc')
    .limit(a.limit + 1)
    .execute();
}

export async function findSpace(db: Db, spaceId: string) {
  return db
    .selectFrom('space as sp')
    .innerJoin('account as o', 'o.id', 'sp.owner_account_id')
    .select([
      'sp.id',
      'sp.name',
      'sp.kind',
      'sp.created_at',
      'sp.owner_account_id',
      'o.email as owner_email',
      'o.suspended_at as owner_suspended_at',
    ])
    .where('sp.id', '=', spaceId)
    .executeTakeFirst();
}

export async function listMembers(db: Db, spaceId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('account as a', 'a.id', 'm.account_id')
    .select(['a.id', 'a.email', 'a.display_name', 'm.role'])
    .where('m.space_id', '=', spaceId)
    .orderBy('m.created_at')
    .execute();
}

export async function listSpaceRolesOf(db: Db, accountId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('space as sp', 'sp.id', 'm.space_id')
    .select(['m.space_id', 'm.role'])
    .where('m.account_id', '=', accountId)
    .orderBy('sp.created_at')
    .execute();
}

export async function findUsageRow(db: Db, spaceId: string, periodStart: Date) {
  return db
    .selectFrom('usage_counter')
    .select(['used', 'base_limit', 'extra'])
    .where('space_id', '=', spaceId)
    .where('metric', '=', 'runs')
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
}

export async function isOptedOut(db: Db, spaceId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('lab_opt_out').select('space_id').where('space_id', '=', spaceId).executeTakeFirst());
}

export async function findAccountRow(db: Db, accountId: string) {
  return db
    .selectFrom('account')
    .select(['id', 'email', 'display_name', 'is_operator', 'suspended_at', 'personal_space_id', 'created_at', 'totp_enabled_at'])
    .where('id', '=', accountId)
    .executeTakeFirst();
}

// ---------------------------------------------------------------- consent to operator access

export async function findLiveGrant(db: Db, accountId: string, now: Date) {
  return db
    .selectFrom('support_access')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
}

export async function revokeGrants(db: Db, accountId: string, now: Date): Promise<number> {
  const r = await db
    .updateTable('support_access')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function insertGrant(db: Db, row: { id: string; account_id: string; granted_at: Date; expires_at: Date }): Promise<void> {
  await db.insertInto('support_access').values(row).execute();
}

/** Operator sessions open as this person now, with the operator's name. */
export async function listImpersonations(db: Db, accountId: string, now: Date) {
  return db
    .selectFrom('session as s')
    .innerJoin('account as o', 'o.id', 's.impersonator_account_id')
    .select(['s.id', 's.created_at', 's.expires_at', 'o.display_name as operator_name', 'o.id as operator_id'])
    .where('s.account_id', '=', accountId)
    .where('s.impersonator_account_id', 'is not', null)
    .where('s.expires_at', '>', now)
    .orderBy('s.created_at')
    .execute();
}

export async function findSessionExpiry(db: Db, sessionId: string) {
  return db.selectFrom('session').select(['expires_at']).where('id', '=', sessionId).executeTakeFirst();
}

export async function deleteSessionById(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('session').where('id', '=', sessionId).execute();
}
