import type { Insertable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { Contact } from '#core/db.types.js';

const withPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('contact as k')
    .leftJoin('account as c', 'c.id', 'k.created_by_account_id')
    .leftJoin('account as u', 'u.id', 'k.updated_by')
    .selectAll('k')
    .select(['c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('k.space_id', '=', spaceId);

export async function listContacts(db: Db, spaceId: string, q: { search?: string; stage?: string; dueBy?: Date; limit: number }) {
  let query = withPeople(db, spaceId);
  if (q.search) {
    const like = `%${q.search.replace(/[%_\\]/g, '\\$&')}%`;
    query = query.where((eb) =>
      eb.or([eb('k.name', 'ilike', like), eb('k.company', 'ilike', like), eb(sql<string>`array_to_string(k.emails, ' ')`, 'ilike', like)]),
    );
  }
  if (q.stage) query = query.where('k.stage', '=', q.stage);
  if (q.dueBy) query = query.where('k.next_follow_up_at', '<=', q.dueBy).orderBy('k.next_follow_up_at');
  return query.orderBy(sql`lower(k.name)`).orderBy('k.id').limit(q.limit).execute();
}
export type ContactRow = Awaited<ReturnType<typeof listContacts>>[number];

export async function findContact(db: Db, spaceId: string, id: string): Promise<ContactRow | undefined> {
  return withPeople(db, spaceId).where('k.id', '=', id).executeTakeFirst();
}

/** The contact (visible to this reader) that has this address. */
export async function findContactByEmail(db: Db, spaceId: string, email: string) {
  return db
    .selectFrom('contact')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where(sql<boolean>`emails @> array[${email.toLowerCase()}]::text[]`)
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function insertContact(db: Db, row: Insertable<Contact>): Promise<void> {
  await db.insertInto('contact').values(row).execute();
}
export async function updateContact(db: Db, spaceId: string, id: string, set: Updateable<Contact>): Promise<void> {
  await db.updateTable('contact').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
export async function deleteContact(db: Db, spaceId: string, id: string): Promise<void> {
  await db.deleteFrom('contact').where('space_id', '=', spaceId).where('id', '=', id).execute();
}
