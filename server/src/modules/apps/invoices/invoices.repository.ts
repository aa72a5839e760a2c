import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { ClientInvoice } from '#core/db.types.js';
import { insertOnce } from '../apps.repository.js';

export async function listInvoiceRows(db: Db, spaceId: string, q: { status?: string; limit: number; before?: string }) {
  let query = db
    .selectFrom('client_invoice')
    .selectAll()
    .where('space_id', '=', spaceId)
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.before) query = query.where('id', '<', q.before);
  return query.execute();
}
export type InvoiceRow = Awaited<ReturnType<typeof listInvoiceRows>>[number];

export async function findInvoice(db: Db, spaceId: string, id: string, o: { lock?: boolean } = {}) {
  let q = db.selectFrom('client_invoice').selectAll().where('space_id', '=', spaceId).where('id', '=', id);
  if (o.lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Inserts a draft; with an idempotency key, a second insert with the same key returns the first invoice. */
export async function insertInvoice(db: Db, row: Insertable<ClientInvoice>): Promise<string> {
  return insertOnce(db, 'client_invoice', row);
}

export async function updateInvoiceRow(db: Db, spaceId: string, id: string, set: Updateable<ClientInvoice>): Promise<number> {
  const r = await db.updateTable('client_invoice').set(set).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteInvoiceRow(db: Db, spaceId: string, id: string): Promise<number> {
  const r = await db
    .deleteFrom('client_invoice')
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('number', 'is', null)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * The space's next invoice number. The counter row is locked until the caller's transaction ends, so
 * concurrent issuers take turns, and a rolled-back issue gives its number back: no gaps, no repeats.
 */
export async function nextInvoiceNumber(db: Db, spaceId: string): Promise<number> {
  const r = await sql<{ last_number: number }>`
    insert into client_invoice_counter (space_id, last_number) values (${spaceId}, 1)
    on conflict (space_id) do update set last_number = client_invoice_counter.last_number + 1
    returning last_number`.execute(db);
  return r.rows[0]!.last_number;
}

export async function findProfile(db: Db, spaceId: string, accountId: string) {
  return db
    .selectFrom('invoice_profile')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .executeTakeFirst();
}
export type ProfileRow = NonNullable<Awaited<ReturnType<typeof findProfile>>>;

export async function upsertProfile(
  db: Db,
  row: Omit<Insertable<import('#core/db.types.js').InvoiceProfile>, 'visibility'>,
): Promise<void> {
  await db
    .insertInto('invoice_profile')
    .values({ ...row, visibility: 'private' })
    .onConflict((oc) =>
      oc.columns(['space_id', 'owner_account_id']).doUpdateSet({
        business_name: row.business_name,
        details: row.details,
        email: row.email,
        currency: row.currency,
        tax_rate: row.tax_rate,
        payment_days: row.payment_days,
        language: row.language,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

/**
 * System work across spaces (the overdue sweep): issued invoices whose due date has passed in their
 * owner's time zone. Runs as the owner role, never in a request.
 */
export async function listNewlyOverdueAsSystem(db: Db, now: Date, limit: number) {
  return db
    .selectFrom('client_invoice as i')
    .innerJoin('account as a', 'a.id', 'i.owner_account_id')
    .select(['i.id', 'i.space_id', 'i.owner_account_id', 'i.visibility', 'i.number', 'i.due_date'])
    .where('i.status', '=', 'sent')
    .where('i.due_date', 'is not', null)
    .where(sql<boolean>`i.due_date < (${now}::timestamptz at time zone a.time_zone)::date`)
    .orderBy('i.due_date')
    .limit(limit)
    .execute();
}
