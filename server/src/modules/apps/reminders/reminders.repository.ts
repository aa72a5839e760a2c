import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Reminder } from '#core/db.types.js';
import { insertOnce } from '../apps.repository.js';

const withPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('reminder as r')
    .innerJoin('account as a', 'a.id', 'r.assignee_account_id')
    .leftJoin('account as c', 'c.id', 'r.created_by_account_id')
    .leftJoin('account as u', 'u.id', 'r.updated_by')
    .selectAll('r')
    .select(['a.display_name as assignee_name', 'c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('r.space_id', '=', spaceId);

export async function listReminders(db: Db, spaceId: string, q: { status: string; limit: number; until?: Date }) {
  let query = withPeople(db, spaceId).where('r.status', '=', q.status).orderBy('r.due_at').orderBy('r.id').limit(q.limit);
  if (q.until) query = query.where('r.due_at', '<', q.until);
  return query.execute();
}
export type ReminderRow = Awaited<ReturnType<typeof listReminders>>[number];

export async function findReminder(db: Db, spaceId: string, id: string): Promise<ReminderRow | undefined> {
  return withPeople(db, spaceId).where('r.id', '=', id).executeTakeFirst();
}

/** System: the reminder, locked, whatever its visibility (the job that fires it). */
export async function lockReminder(db: Db, spaceId: string, id: string) {
  return db.selectFrom('reminder').selectAll().where('space_id', '=', spaceId).where('id', '=', id).forUpdate().executeTakeFirst();
}

/** System: active reminders whose time has come and that have not fired for it yet (the safety sweep). */
export async function listDueReminders(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('reminder')
    .select(['id', 'space_id'])
    .where('status', '=', 'active')
    .where('due_at', '<=', now)
    .where((eb) => eb.or([eb('last_fired_at', 'is', null), eb('last_fired_at', '<', eb.ref('due_at'))]))
    .orderBy('due_at')
    .limit(limit)
    .execute();
}

export async function insertReminder(db: Db, row: Insertable<Reminder>): Promise<string> {
  return insertOnce(db, 'reminder', row);
}

export async function updateReminder(db: Db, spaceId: string, id: string, set: Updateable<Reminder>): Promise<void> {
  await db.updateTable('reminder').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

export async function deleteReminder(db: Db, spaceId: string, id: string): Promise<void> {
  await db.deleteFrom('reminder').where('space_id', '=', spaceId).where('id', '=', id).execute();
}

/** The members of a space with their names (for "remind Dana ..."). */
export async function listMembers(db: Db, spaceId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('account as a', 'a.id', 'm.account_id')
    .select(['a.id', 'a.display_name', 'a.time_zone', 'm.role'])
    .where('m.space_id', '=', spaceId)
    .orderBy('a.display_name')
    .execute();
}
