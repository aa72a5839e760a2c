import { sql } from 'kysely';
import type { Db } from '#core/db.js';

/** Locks the space's chain head (creating it), so appends of one space are serialised. */
export async function lockHead(db: Db, spaceId: string): Promise<{ seq: number; hash: string }> {
  const r = await sql<{ seq: string; hash: string }>`
    insert into activity_head as h (space_id, seq, hash) values (${spaceId}, 0, 'genesis')
    on conflict (space_id) do update set seq = h.seq
    returning seq, hash`.execute(db);
  const row = r.rows[0]!;
  return { seq: Number(row.seq), hash: row.hash };
}

export async function insertEntry(db: Db, row: Record<string, unknown>): Promise<void> {
  await db
    .insertInto('activity')
    .values(row as never)
    .execute();
}

export async function advanceHead(db: Db, spaceId: string, seq: number, hash: string): Promise<void> {
  await db.updateTable('activity_head').set({ seq, hash }).where('space_id', '=', spaceId).execute();
}

export async function listEntries(
  db: Db,
  spaceId: string,
  q: { limit: number; beforeSeq?: number; kind?: string; agentId?: string; objectId?: string; from?: Date; to?: Date },
) {
  let query = db
    .selectFrom('activity')
    .selectAll()
    .where('space_id', '=', spaceId)
    .orderBy('seq', 'desc')
    .limit(q.limit + 1);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', String(q.beforeSeq) as never);
  if (q.kind) query = query.where('kind', 'like', `${q.kind.replace(/[%_]/g, '')}%`);
  if (q.agentId) query = query.where('agent_id', '=', q.agentId);
  if (q.objectId) query = query.where('object_id', '=', q.objectId);
  if (q.from) query = query.where('at', '>=', q.from);
  if (q.to) query = query.where('at', '<', q.to);
  return query.execute();
}

/** Every entry of a space in order, in pages (for verification and export). */
export async function* streamEntries(db: Db, spaceId: string, pageSize = 1000) {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('activity')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('seq', '>', String(after) as never)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (!rows.length) return;
    for (const r of rows) yield r;
    after = Number(rows.at(-1)!.seq);
  }
}

export async function findHead(db: Db, spaceId: string) {
  return db.selectFrom('activity_head').selectAll().where('space_id', '=', spaceId).executeTakeFirst();
}
