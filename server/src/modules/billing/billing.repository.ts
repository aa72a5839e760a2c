import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { BillingEvent, BillingProfile, Invoice, ScheduledChange } from '#core/db.types.js';

export type InvoiceRow = Selectable<Invoice>;
export type ScheduledChangeRow = Selectable<ScheduledChange>;

// ---------------------------------------------------------------- profile

export async function findProfile(db: Db, spaceId: string) {
  return db.selectFrom('billing_profile').selectAll().where('space_id', '=', spaceId).executeTakeFirst();
}

export async function upsertProfile(
  db: Db,
  spaceId: string,
  patch: Omit<Updateable<BillingProfile>, 'space_id'>,
  now: Date,
): Promise<void> {
  await db
    .insertInto('billing_profile')
    .values({ space_id: spaceId, ...patch, created_at: now, updated_at: now } as Insertable<BillingProfile>)
    .onConflict((oc) => oc.column('space_id').doUpdateSet({ ...patch, updated_at: now }))
    .execute();
}

/** The owner of a space, who buys for it: their name and email go on invoices. */
export async function findSpaceOwner(db: Db, spaceId: string) {
  return db
    .selectFrom('space as s')
    .innerJoin('account as a', 'a.id', 's.owner_account_id')
    .select([
      's.id as space_id',
      's.kind',
      's.name as space_name',
      'a.id as account_id',
      'a.display_name',
      'a.email',
      'a.locale',
      'a.personal_space_id',
    ])
    .where('s.id', '=', spaceId)
    .executeTakeFirst();
}

// ---------------------------------------------------------------- invoices

/** The next number of a gapless counter (the row lock serialises issuers until their transaction ends). */
export async function nextCounterValue(db: Db, key: string): Promise<number> {
  const r = await sql<{ value: number }>`
    insert into billing_counter as c (key, value) values (${key}, 1)
    on conflict (key) do update set value = c.value + 1
    returning value`.execute(db);
  return Number(r.rows[0]!.value);
}

export async function insertInvoice(db: Db, row: Insertable<Invoice>): Promise<InvoiceRow> {
  return db.insertInto('invoice').values(row).returningAll().executeTakeFirstOrThrow();
}

/** An invoice of one space (another space's invoice is not found). */
export async function findInvoice(db: Db, spaceId: string, id: string) {
  return db.selectFrom('invoice').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

/** Any invoice by id, locked until the transaction ends (system: operators). */
export async function findInvoiceForUpdate(db: Db, id: string) {
  return db.selectFrom('invoice').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function findInvoiceByNumber(db: Db, number: string) {
  return db.selectFrom('invoice').select('id').where('number', '=', number).executeTakeFirst();
}

export async function findInvoiceByProviderRef(db: Db, provider: string, ref: string) {
  return db.selectFrom('invoice').selectAll().where('provider', '=', provider).where('provider_ref', '=', ref).executeTakeFirst();
}

export async function listInvoicesOfSpace(db: Db, spaceId: string, q: { limit: number; before?: string }) {
  let query = db.selectFrom('invoice').selectAll().where('space_id', '=', spaceId);
  if (q.before)
    query = query.where(
      sql<boolean>`(issued_at, id) < (select i2.issued_at, i2.id from invoice i2 where i2.id = ${q.before} and i2.space_id = ${spaceId})`,
    );
  return query
    .orderBy('issued_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
}

export async function listOpenInvoicesOfSpace(db: Db, spaceId: string) {
  return db
    .selectFrom('invoice')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('status', '=', 'open')
    .orderBy('issued_at', 'desc')
    .execute();
}

/** Every space's invoices for operators, with the space's name (system). */
export async function listInvoicesForOperators(db: Db, q: { status?: string; limit: number; before?: string }) {
  let query = db.selectFrom('invoice as i').leftJoin('space as s', 's.id', 'i.space_id').selectAll('i').select('s.name as space_name');
  if (q.status) query = query.where('i.status', '=', q.status);
  if (q.before)
    query = query.where(sql<boolean>`(i.issued_at, i.id) < (select i2.issued_at, i2.id from invoice i2 where i2.id = ${q.before})`);
  return query
    .orderBy('i.issued_at', 'desc')
    .orderBy('i.id', 'desc')
    .limit(q.limit + 1)
    .execute();
}

export async function findSpaceName(db: Db, spaceId: string | null): Promise<string | null> {
  if (!spaceId) return null;
  const r = await db.selectFrom('space').select('name').where('id', '=', spaceId).executeTakeFirst();
  return r?.name ?? null;
}

/** Open to paid, once: false when the invoice was not open. */
export async function markInvoicePaid(db: Db, id: string, at: Date, by: string | null): Promise<InvoiceRow | undefined> {
  return db
    .updateTable('invoice')
    .set({ status: 'paid', paid_at: at, paid_by_account_id: by })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

export async function markInvoiceVoid(db: Db, id: string, at: Date): Promise<InvoiceRow | undefined> {
  return db
    .updateTable('invoice')
    .set({ status: 'void', voided_at: at })
    .where('id', '=', id)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
}

/** Open purchase invoices of a space of these kinds (a new checkout replaces them). */
export async function listOpenInvoicesOfKinds(db: Db, spaceId: string, kinds: readonly string[]) {
  if (!kinds.length) return [];
  return db
    .selectFrom('invoice')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('status', '=', 'open')
    .where('kind', 'in', kinds)
    .execute();
}

/** Open invoices across spaces, oldest first (system: the sweep voids stale ones). */
export async function listOpenInvoices(db: Db, kinds: readonly string[], limit: number) {
  return db
    .selectFrom('invoice')
    .selectAll()
    .where('status', '=', 'open')
    .where('kind', 'in', kinds)
    .orderBy('issued_at')
    .limit(limit)
    .execute();
}

// ---------------------------------------------------------------- scheduled changes

export async function insertScheduledChange(db: Db, row: Insertable<ScheduledChange>): Promise<void> {
  await db.insertInto('scheduled_change').values(row).execute();
}

export async function findPendingChange(db: Db, subscriptionId: string) {
  return db
    .selectFrom('scheduled_change')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
}

export async function cancelPendingChange(db: Db, subscriptionId: string): Promise<ScheduledChangeRow | undefined> {
  return db
    .updateTable('scheduled_change')
    .set({ status: 'canceled' })
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}

export async function markChangeApplied(db: Db, id: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('scheduled_change')
    .set({ status: 'applied', applied_at: at })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function markChangeSynced(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('scheduled_change').set({ provider_synced_at: at }).where('id', '=', id).execute();
}

/** Pending version migrations of provider-managed subscriptions not yet pushed to the provider (system). */
export async function listUnsyncedMigrations(db: Db, limit: number) {
  return db
    .selectFrom('scheduled_change')
    .selectAll()
    .where('status', '=', 'pending')
    .where('kind', '=', 'version_migration')
    .where('provider_synced_at', 'is', null)
    .orderBy('effective_at')
    .limit(limit)
    .execute();
}

// ---------------------------------------------------------------- provider events

/** Stores an event once: undefined when this provider already sent this event id. */
export async function insertEvent(db: Db, row: Insertable<BillingEvent>): Promise<string | undefined> {
  const r = await db
    .insertInto('billing_event')
    .values(row)
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r?.id;
}

export async function findEvent(db: Db, id: string) {
  return db.selectFrom('billing_event').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateEvent(db: Db, id: string, patch: Updateable<BillingEvent>): Promise<void> {
  await db.updateTable('billing_event').set(patch).where('id', '=', id).execute();
}
