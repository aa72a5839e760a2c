import type { Insertable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { List, ListItem, ListStaple } from '#core/db.types.js';

const listsWithPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('list as l')
    .leftJoin('account as c', 'c.id', 'l.created_by_account_id')
    .leftJoin('account as u', 'u.id', 'l.updated_by')
    .selectAll('l')
    .select([
      'c.display_name as created_by_name',
      'u.display_name as updated_by_name',
      (eb) =>
        eb
          .selectFrom('list_item as i')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('i.list_id', '=', 'l.id')
          .where('i.done', '=', false)
          .as('open_items'),
    ])
    .where('l.space_id', '=', spaceId);

export async function listLists(db: Db, spaceId: string) {
  return listsWithPeople(db, spaceId).orderBy('l.created_at').orderBy('l.id').limit(200).execute();
}
export type ListRow = Awaited<ReturnType<typeof listLists>>[number];

export async function findList(db: Db, spaceId: string, id: string): Promise<ListRow | undefined> {
  return listsWithPeople(db, spaceId).where('l.id', '=', id).executeTakeFirst();
}

/** The list skills use when none is named: the first shopping list the person sees (shared before private). */
export async function findDefaultList(db: Db, spaceId: string, kind: string): Promise<ListRow | undefined> {
  return listsWithPeople(db, spaceId)
    .where('l.kind', '=', kind)
    .orderBy(sql`case when l.visibility = 'shared' then 0 else 1 end`)
    .orderBy('l.created_at')
    .executeTakeFirst();
}

export async function insertList(db: Db, row: Insertable<List>): Promise<void> {
  await db.insertInto('list').values(row).execute();
}
export async function updateList(db: Db, spaceId: string, id: string, set: Updateable<List>): Promise<void> {
  await db.updateTable('list').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
export async function deleteList(db: Db, spaceId: string, id: string): Promise<void> {
  await db.deleteFrom('list').where('space_id', '=', spaceId).where('id', '=', id).execute();
}
/** Serialises concurrent changes to one list's items (merging "milk" twice must not race). */
export async function lockList(db: Db, spaceId: string, id: string): Promise<void> {
  await db.selectFrom('list').select('id').where('space_id', '=', spaceId).where('id', '=', id).forUpdate().execute();
}

export async function listItems(db: Db, spaceId: string, listId: string) {
  return db
    .selectFrom('list_item as i')
    .leftJoin('account as a', 'a.id', 'i.added_by_account_id')
    .leftJoin('account as u', 'u.id', 'i.updated_by')
    .selectAll('i')
    .select(['a.display_name as added_by_name', 'u.display_name as updated_by_name'])
    .where('i.space_id', '=', spaceId)
    .where('i.list_id', '=', listId)
    .orderBy('i.done')
    .orderBy('i.created_at')
    .orderBy('i.id')
    .limit(1000)
    .execute();
}
export type ItemRow = Awaited<ReturnType<typeof listItems>>[number];

export async function findItem(db: Db, spaceId: string, listId: string, id: string) {
  return db
    .selectFrom('list_item')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('list_id', '=', listId)
    .where('id', '=', id)
    .executeTakeFirst();
}
export async function insertItem(db: Db, row: Insertable<ListItem>): Promise<void> {
  await db.insertInto('list_item').values(row).execute();
}
export async function updateItem(db: Db, spaceId: string, id: string, set: Updateable<ListItem>): Promise<void> {
  await db.updateTable('list_item').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
export async function deleteItems(db: Db, spaceId: string, listId: string, q: { id?: string; done?: boolean }): Promise<void> {
  let d = db.deleteFrom('list_item').where('space_id', '=', spaceId).where('list_id', '=', listId);
  if (q.id) d = d.where('id', '=', q.id);
  if (q.done !== undefined) d = d.where('done', '=', q.done);
  await d.execute();
}
/** Items added under one action's key (a retried add adds nothing twice). */
export async function itemsWithKeyPrefix(db: Db, spaceId: string, prefix: string) {
  return db
    .selectFrom('list_item')
    .select('id')
    .where('space_id', '=', spaceId)
    .where('idempotency_key', 'like', `${prefix.replace(/[%_\\]/g, '\\$&')}%`)
    .execute();
}

export async function listStaples(db: Db, spaceId: string, listId: string) {
  return db.selectFrom('list_staple').selectAll().where('space_id', '=', spaceId).where('list_id', '=', listId).orderBy('name').execute();
}
export async function insertStaple(db: Db, row: Insertable<ListStaple>): Promise<void> {
  await db
    .insertInto('list_staple')
    .values(row)
    .onConflict((oc) => oc.constraint('list_staple_name_key').doNothing())
    .execute();
}
export async function deleteStaple(db: Db, spaceId: string, listId: string, name: string): Promise<void> {
  await db.deleteFrom('list_staple').where('space_id', '=', spaceId).where('list_id', '=', listId).where('name', '=', name).execute();
}
