import type { Db } from '#core/db.js';

/**
 * For the privacy module: a space's promotions in its export archive (the documents as stored, with
 * where sending them stood). Nothing is kept by law: promotions are deleted with the space (on delete
 * cascade), and a person's consent to operator access (table support_access) with their account.
 */
export async function exportPromotions(db: Db, spaceId: string) {
  const rows = await db.selectFrom('promotion').selectAll().where('space_id', '=', spaceId).orderBy('created_at').execute();
  return rows.map((r) => ({
    id: r.id,
    packId: r.pack_id,
    packName: r.pack_name,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at.toISOString(),
    sentAt: r.sent_at?.toISOString() ?? null,
    document: r.document,
  }));
}
