import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Note } from '#core/db.types.js';
import { insertOnce } from '../apps.repository.js';

const withPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('note as n')
    .leftJoin('account as c', 'c.id', 'n.created_by_account_id')
    .leftJoin('account as u', 'u.id', 'n.updated_by')
    .selectAll('n')
    .select(['c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('n.space_id', '=', spaceId);

export async function listNotes(db: Db, spaceId: string, q: { limit: number; before?: { at: Date; id: string }; search?: string }) {
  let query = withPeople(db, spaceId)
    .orderBy('n.updated_at', 'desc')
    .orderBy('n.id', 'desc')
    .limit(q.limit + 1);
  if (q.before) {
    const b = q.before;
    query = query.where((eb) => eb.or([eb('n.updated_at', '<', b.at), eb.and([eb('n.updated_at', '=', b.at), eb('n.id', '<', b.id)])]));
  }
  if (q.search) {
    const like = `%${q.search.replace(/[%_\\]/g, '\\$&')}%`;
    query = query.where((eb) => eb.or([eb('n.title', 'ilike', like), eb('n.body', 'ilike', like)]));
  }
  return query.execute();
}
export type NoteRow = Awaited<ReturnType<typeof listNotes>>[number];

export async function findNote(db: Db, spaceId: string, id: string): Promise<NoteRow | undefined> {
  return withPeople(db, spaceId).where('n.id', '=', id).executeTakeFirst();
}

/** Inserts a note; with an idempotency key, a second insert with the same key returns the first note. */
export async function insertNote(db: Db, row: Insertable<Note>): Promise<string> {
  return insertOnce(db, 'note', row);
}

export async function updateNote(db: Db, spaceId: string, id: string, set: Updateable<Note>): Promise<void> {
  await db.updateTable('note').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

export async function deleteNote(db: Db, spaceId: string, id: string): Promise<void> {
  await db.deleteFrom('note').where('space_id', '=', spaceId).where('id', '=', id).execute();
}
