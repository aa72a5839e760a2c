import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Account, AccountToken, ApiToken, Session } from '#core/db.types.js';

export async function findAccountByEmail(db: Db, emailNormalized: string) {
  return db.selectFrom('account').selectAll().where('email_normalized', '=', emailNormalized).executeTakeFirst();
}

export async function findAccount(db: Db, id: string) {
  return db.selectFrom('account').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertAccount(db: Db, row: Insertable<Account>): Promise<void> {
  await db.insertInto('account').values(row).execute();
}

export async function updateAccount(db: Db, id: string, set: Updateable<Account>): Promise<void> {
  await db.updateTable('account').set(set).where('id', '=', id).execute();
}

export async function anyAccountExists(db: Db): Promise<boolean> {
  const r = await db.selectFrom('account').select('id').limit(1).executeTakeFirst();
  return Boolean(r);
}

export async function insertSession(db: Db, row: Insertable<Session>): Promise<void> {
  await db.insertInto('session').values(row).execute();
}

/** The session, its account and the membership in its active space, in one query (every request). */
export async function findSessionByTokenHash(db: Db, tokenHash: Buffer, now: Date) {
  return db
    .selectFrom('session as s')
    .innerJoin('account as a', 'a.id', 's.account_id')
    .leftJoin('membership as m', (j) => j.onRef('m.account_id', '=', 's.account_id').onRef('m.space_id', '=', 's.active_space_id'))
    .leftJoin('space as sp', 'sp.id', 's.active_space_id')
    .select([
      's.id as session_id',
      's.active_space_id',
      's.last_seen_at',
      's.impersonator_account_id',
      'a.id as account_id',
      'a.email',
      'a.display_name',
      'a.locale',
      'a.time_zone',
      'a.is_operator',
      'a.suspended_at',
      'a.personal_space_id',
      'm.role',
      'sp.kind as space_kind',
    ])
    .where('s.token_hash', '=', tokenHash)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
}

export async function updateSession(db: Db, id: string, set: Updateable<Session>): Promise<void> {
  await db.updateTable('session').set(set).where('id', '=', id).execute();
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('session').where('id', '=', id).execute();
}

export async function deleteSessionsOfAccount(db: Db, accountId: string, exceptId?: string): Promise<void> {
  let q = db.deleteFrom('session').where('account_id', '=', accountId);
  if (exceptId) q = q.where('id', '<>', exceptId);
  await q.execute();
}

export async function insertToken(db: Db, row: Insertable<AccountToken>): Promise<void> {
  await db.insertInto('account_token').values(row).execute();
}

/** Uses a token once: marks it used and returns it only if it was unused and unexpired (atomic). */
export async function consumeToken(db: Db, tokenHash: Buffer, purpose: string, now: Date) {
  return db
    .updateTable('account_token')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning(['id', 'account_id'])
    .executeTakeFirst();
}

export async function invalidateTokens(db: Db, accountId: string, purpose: string, now: Date): Promise<void> {
  await db
    .updateTable('account_token')
    .set({ used_at: now })
    .where('account_id', '=', accountId)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .execute();
}

/** The current block of a throttling key, if any. */
export async function findRateLimit(db: Db, key: string) {
  return db.selectFrom('rate_limit').selectAll().where('key', '=', key).executeTakeFirst();
}

/**
 * Counts one failure in a fixed window and blocks the key for a window once it reaches `max`.
 * Stored in PostgreSQL, so a restart does not reset it.
 */
export async function recordFailure(db: Db, a: { key: string; now: Date; windowMs: number; max: number }): Promise<void> {
  const windowStart = new Date(a.now.getTime() - a.windowMs);
  const blockedUntil = new Date(a.now.getTime() + a.windowMs);
  await sql`insert into rate_limit as r (key, window_start, count) values (${a.key}, ${a.now}, 1)
    on conflict (key) do update set
      count = case when r.window_start < ${windowStart} then 1 else r.count + 1 end,
      window_start = case when r.window_start < ${windowStart} then ${a.now} else r.window_start end,
      blocked_until = case when (case when r.window_start < ${windowStart} then 1 else r.count + 1 end) >= ${a.max} then ${blockedUntil}::timestamptz else r.blocked_until end`.execute(
    db,
  );
}

export async function clearRateLimit(db: Db, key: string): Promise<void> {
  await db.deleteFrom('rate_limit').where('key', '=', key).execute();
}

export async function insertApiToken(db: Db, row: Insertable<ApiToken>) {
  return db.insertInto('api_token').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listApiTokensOf(db: Db, accountId: string) {
  return db.selectFrom('api_token').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').limit(100).execute();
}

export async function revokeApiTokenRow(db: Db, accountId: string, id: string, now: Date) {
  await db
    .updateTable('api_token')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
  return db.selectFrom('api_token').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** A live token by its hash, with its account and the account's personal space (where tokens act). */
export async function findApiTokenByHash(db: Db, tokenHash: Buffer, now: Date) {
  return db
    .selectFrom('api_token as t')
    .innerJoin('account as a', 'a.id', 't.account_id')
    .leftJoin('membership as m', (j) => j.onRef('m.account_id', '=', 'a.id').onRef('m.space_id', '=', 'a.personal_space_id'))
    .select([
      't.id as token_id',
      't.scopes',
      't.last_used_at',
      'a.id as account_id',
      'a.email',
      'a.display_name',
      'a.locale',
      'a.time_zone',
      'a.is_operator',
      'a.suspended_at',
      'a.personal_space_id',
      'm.role',
    ])
    .where('t.token_hash', '=', tokenHash)
    .where('t.expires_at', '>', now)
    .where('t.revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function touchApiToken(db: Db, id: string, now: Date): Promise<void> {
  await db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', id).execute();
}
