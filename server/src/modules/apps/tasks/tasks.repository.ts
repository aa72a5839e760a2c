import type { Insertable, Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Task } from '#core/db.types.js';
import { insertOnce } from '../apps.repository.js';

const withPeople = (db: Db, spaceId: string) =>
  db
    .selectFrom('task as t')
    .leftJoin('account as c', 'c.id', 't.created_by_account_id')
    .leftJoin('account as u', 'u.id', 't.updated_by')
    .selectAll('t')
    .select(['c.display_name as created_by_name', 'u.display_name as updated_by_name'])
    .where('t.space_id', '=', spaceId);

export async function listTasks(db: Db, spaceId: string, q: { status: string; limit: number; before?: string }) {
  let query = withPeople(db, spaceId)
    .where('t.status', '=', q.status)
    .orderBy((eb) => eb.fn.coalesce('t.due_at', eb.val(new Date('9999-01-01'))), 'asc')
    .orderBy('t.id', 'desc')
    .limit(q.limit + 1);
  if (q.before) query = query.where('t.id', '<', q.before);
  return query.execute();
}
export type TaskRow = Awaited<ReturnType<typeof listTasks>>[number];

export async function findTask(db: Db, spaceId: string, id: string) {
  return withPeople(db, spaceId).where('t.id', '=', id).executeTakeFirst();
}

/** Inserts a task; with an idempotency key, a second insert with the same key returns the first task. */
export async function insertTask(db: Db, row: Insertable<Task>): Promise<string> {
  return insertOnce(db, 'task', row);
}

export async function updateTask(db: Db, spaceId: string, id: string, set: Updateable<Task>): Promise<number> {
  const r = await db.updateTable('task').set(set).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteTask(db: Db, spaceId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('task').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}
