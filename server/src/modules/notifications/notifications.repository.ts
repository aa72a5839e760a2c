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
