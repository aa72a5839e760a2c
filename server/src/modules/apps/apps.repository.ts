// Repository code more than one app shares: plain Kysely, no rules (STYLE.md).
import type { Insertable } from 'kysely';
import type { DB, Db } from '#core/db.js';

/** The apps' tables that are unique on (space_id, idempotency_key): an agent retrying a write makes one row. */
export type IdempotentTable = 'calendar_entry' | 'client_invoice' | 'note' | 'reminder' | 'task';

/**
 * Inserts a row once per idempotency key in its space: a second insert with the same key inserts
 * nothing and returns the first row's id. The look-up runs in the caller's tenant transaction, so it
 * sees only what Row Level Security lets the caller see: when the key is taken by another member's
 * private row, it throws (NoResultError) rather than hand out that row's id.
 */
export async function insertOnce<T extends IdempotentTable>(
  db: Db,
  table: T,
  row: Insertable<DB[T]> & { space_id: string; idempotency_key?: string | null },
): Promise<string> {
  const r = await db
    .insertInto(table)
    .values(row)
    .onConflict((oc) => oc.columns(['space_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (r) return r.id;
  // Widened to the union: Kysely's select() does not type-check on a generic table name, and the
  // columns read here are ones every idempotent table has.
  const from: IdempotentTable = table;
  const existing = await db
    .selectFrom(from)
    .select('id')
    .where('space_id', '=', row.space_id)
    .where('idempotency_key', '=', row.idempotency_key ?? '')
    .executeTakeFirstOrThrow();
  return existing.id;
}
