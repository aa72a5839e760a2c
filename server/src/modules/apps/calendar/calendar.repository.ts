import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { CalendarEntry } from '#core/db.types.js';
import { insertOnce } from '../apps.repository.js';

const withPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('calendar_entry as e')
    .leftJoin('account as c', 'c.id', 'e.created_by_account_id')
    .leftJoin('account as u', 'u.id', 'e.updated_by')
    .selectAll('e')
    .select(['c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('e.space_id', '=', spaceId);

/** Own events that may have an occurrence in [from, to): one-offs overlapping it, repeating ones begun before its end. */
export async function listEntriesFor(db: Db, spaceId: string, from: Date, to: Date) {
  return withPeople(db, spaceId)
    .where('e.starts_at', '<', to)
    .where((eb) => eb.or([eb('e.rrule', 'is not', null), eb('e.ends_at', '>', from)]))
    .orderBy('e.starts_at')
    .limit(2000)
    .execute();
}
export type EntryRow = Awaited<ReturnType<typeof listEntriesFor>>[number];

export async function findEntry(db: Db, spaceId: string, id: string): Promise<EntryRow | undefined> {
  return withPeople(db, spaceId).where('e.id', '=', id).executeTakeFirst();
}

export async function insertEntry(db: Db, row: Insertable<CalendarEntry>): Promise<string> {
  return insertOnce(db, 'calendar_entry', row);
}
export async function updateEntry(db: Db, spaceId: string, id: string, set: Updateable<CalendarEntry>): Promise<void> {
  await db.updateTable('calendar_entry').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
export async function deleteEntry(db: Db, spaceId: string, id: string): Promise<void> {
  await db.deleteFrom('calendar_entry').where('space_id', '=', spaceId).where('id', '=', id).execute();
}

/** System: own events with a possible occurrence in the next days, every space (announcing upcoming ones). */
export async function listEntriesStartingBefore(db: Db, from: Date, until: Date, limit: number) {
  return db
    .selectFrom('calendar_entry')
    .selectAll()
    .where('starts_at', '<', until)
    .where((eb) => eb.or([eb('rrule', 'is not', null), eb('starts_at', '>', from)]))
    .limit(limit)
    .execute();
}
