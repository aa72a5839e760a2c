import type { Db } from '#core/db.js';
import { presentInvoice } from './billing.presenter.js';
import { listInvoicesOfSpace } from './billing.repository.js';

/**
 * What billing keeps by law when a person deletes their account or space (for the privacy module's
 * deletion and export): every `invoice` row with `kept_by_law = true` stays until `retain_until`;
 * the foreign key to the space becomes null when the space is deleted, and the row keeps the buyer's
 * name, email and country as issued. Everything else billing holds for a space (billing_profile,
 * scheduled_change) is deleted with the space (on delete cascade).
 */
export const KEPT_BY_LAW = [
  {
    table: 'invoice',
    column: 'kept_by_law',
    until: 'retain_until',
    why: 'Invoices and receipts must be kept for the years tax law requires (operator setting billing.seller.retainYears, 7 by default).',
  },
] as const;

/** A space's invoices for its export archive (documented JSON: the same shape as the API's). */
export async function exportInvoices(db: Db, spaceId: string) {
  const out = [];
  let before: string | undefined;
  for (;;) {
    const rows = await listInvoicesOfSpace(db, spaceId, { limit: 200, before });
    out.push(...rows.slice(0, 200).map(presentInvoice));
    if (rows.length <= 200) return out;
    before = rows[199]!.id;
  }
}
