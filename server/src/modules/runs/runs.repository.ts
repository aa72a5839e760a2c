import type { Db } from '#core/db.js';
import type { Insertable } from 'kysely';
import type { AgentEvent } from '#core/db.types.js';

/** Records an event once per (space, type, dedupe key); returns its id, or undefined when it was already recorded. */
export async function insertEvent(db: Db, row: Insertable<AgentEvent>): Promise<string | undefined> {
  const r = await db
    .insertInto('agent_event')
    .values(row)
    .onConflict((oc) => oc.columns(['space_id', 'type', 'dedupe_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r?.id;
}

export async function findEvent(db: Db, spaceId: string, id: string) {
  return db.selectFrom('agent_event').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

export async function markEventDispatched(db: Db, spaceId: string, id: string, at: Date): Promise<void> {
  await db.updateTable('agent_event').set({ dispatched_at: at }).where('space_id', '=', spaceId).where('id', '=', id).execute();
}
