import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Expense } from '#core/db.types.js';

export interface ExpenseRange {
  from?: string;
  to?: string;
  category?: string;
}

function ranged(db: Db, spaceId: string, q: ExpenseRange) {
  let query = db.selectFrom('expense').where('space_id', '=', spaceId);
  if (q.from) query = query.where('spent_on', '>=', q.from as never);
  if (q.to) query = query.where('spent_on', '<=', q.to as never);
  if (q.category) query = query.where('category', '=', q.category);
  return query;
}

export async function listExpenseRows(db: Db, spaceId: string, q: ExpenseRange & { limit: number; before?: string }) {
  let query = ranged(db, spaceId, q)
    .selectAll()
    .select(sql<string>`to_char(spent_on, 'YYYY-MM-DD')`.as('spent_day'))
    .orderBy('spent_on', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (q.before) {
    const [day, id] = q.before.split('_');
    if (day && id) query = query.where(sql<boolean>`(spent_on, id) < (${day}::date, ${id}::uuid)`);
  }
  return query.execute();
}
export type ExpenseRow = Awaited<ReturnType<typeof listExpenseRows>>[number];

export async function totalsByCurrency(db: Db, spaceId: string, q: ExpenseRange) {
  return ranged(db, spaceId, q)
    .select(['currency', sql<string>`sum(amount)`.as('amount'), sql<string>`count(*)`.as('count')])
    .groupBy('currency')
    .orderBy('currency')
    .execute();
}

export async function findExpense(db: Db, spaceId: string, id: string) {
  return db
    .selectFrom('expense')
    .selectAll()
    .select(sql<string>`to_char(spent_on, 'YYYY-MM-DD')`.as('spent_day'))
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Inserts an expense once: per idempotency key, and per receipt (file or message). Returns the row's id. */
export async function insertExpense(db: Db, row: Insertable<Expense>): Promise<string> {
  const r = await db
    .insertInto('expense')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (r) return r.id;
  let q = db.selectFrom('expense').select('id').where('space_id', '=', row.space_id);
  q = q.where((eb) =>
    eb.or([
      ...(row.idempotency_key ? [eb('idempotency_key', '=', row.idempotency_key)] : []),
      ...(row.source_file_id ? [eb('source_file_id', '=', row.source_file_id)] : []),
      ...(row.source_message_id ? [eb('source_message_id', '=', row.source_message_id)] : []),
    ]),
  );
  return (await q.executeTakeFirstOrThrow()).id;
}

export async function updateExpenseRow(db: Db, spaceId: string, id: string, set: Updateable<Expense>): Promise<number> {
  const r = await db.updateTable('expense').set(set).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteExpenseRow(db: Db, spaceId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('expense').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}
