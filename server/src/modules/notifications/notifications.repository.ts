import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { EmailOutbox } from '#core/db.types.js';

export async function insertEmail(db: Db, row: Insertable<EmailOutbox>): Promise<void> {
  await db.insertInto('email_outbox').values(row).execute();
}

export async function findEmail(db: Db, id: string) {
  return db.selectFrom('email_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateEmail(db: Db, id: string, set: Updateable<EmailOutbox>) {
  await db.updateTable('email_outbox').set(set).where('id', '=', id).execute();
}

export async function listCapturedEmails(db: Db, opts: { limit: number; before?: string; to?: string }) {
  let q = db
    .selectFrom('email_outbox')
    .selectAll()
    .where('status', 'in', ['captured', 'queued', 'failed'])
    .orderBy('id', 'desc')
    .limit(opts.limit + 1);
  if (opts.before) q = q.where('id', '<', opts.before);
  if (opts.to) q = q.where('to_address', '=', opts.to.toLowerCase());
  return q.execute();
}

export async function insertNotification(
  db: Db,
  row: {
    id: string;
    space_id: string;
    owner_account_id: string;
    kind: string;
    title: string;
    body: string;
    url: string | null;
    data: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .insertInto('notification')
    .values({ ...row, visibility: 'private', data: JSON.stringify(row.data) })
    .execute();
}

export async function findAccountContact(db: Db, accountId: string) {
  return db.selectFrom('account').select(['id', 'email', 'display_name', 'locale']).where('id', '=', accountId).executeTakeFirst();
}

export async function listNotifications(
  db: Db,
  spaceId: string,
  accountId: string,
  q: { limit: number; before?: string; unread?: boolean },
) {
  let query = db
    .selectFrom('notification')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (q.before) query = query.where('id', '<', q.before);
  if (q.unread) query = query.where('read_at', 'is', null);
  return query.execute();
}

export async function countUnread(db: Db, spaceId: string, accountId: string): Promise<number> {
  const r = await db
    .selectFrom('notification')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function markRead(db: Db, spaceId: string, accountId: string, ids: string[] | undefined, at: Date): Promise<void> {
  let q = db
    .updateTable('notification')
    .set({ read_at: at })
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .where('read_at', 'is', null);
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['00000000-0000-0000-0000-000000000000']);
  await q.execute();
}

export async function findPrefs(db: Db, accountId: string) {
  return db.selectFrom('notification_preference').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

export async function savePrefs(db: Db, accountId: string, prefs: unknown, at: Date): Promise<void> {
  await db
    .insertInto('notification_preference')
    .values({ account_id: accountId, prefs: JSON.stringify(prefs), updated_at: at })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ prefs: JSON.stringify(prefs), updated_at: at }))
    .execute();
}

export async function upsertPushSubscription(
  db: Db,
  row: { id: string; account_id: string; endpoint: string; p256dh: string; auth: string; user_agent: string | null },
): Promise<void> {
  await db
    .insertInto('push_subscription')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('endpoint')
        .doUpdateSet({ account_id: row.account_id, p256dh: row.p256dh, auth: row.auth, user_agent: row.user_agent, failures: 0 }),
    )
    .execute();
}

export async function listPushSubscriptions(db: Db, accountId: string) {
  return db.selectFrom('push_subscription').selectAll().where('account_id', '=', accountId).execute();
}

export async function deletePushSubscription(db: Db, accountId: string, endpoint: string): Promise<void> {
  await db.deleteFrom('push_subscription').where('account_id', '=', accountId).where('endpoint', '=', endpoint).execute();
}

export async function findNotification(db: Db, id: string) {
  return db.selectFrom('notification').selectAll().where('id', '=', id).executeTakeFirst();
}
