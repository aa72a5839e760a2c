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
