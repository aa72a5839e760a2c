import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { Suggestion } from '#core/db.types.js';

export async function insertSuggestion(db: Db, row: Insertable<Suggestion>): Promise<{ id: string; status: string; inserted: boolean }> {
  const r = await db
    .insertInto('suggestion')
    .values(row)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
  if (r) return { ...r, inserted: true };
  const existing = await db
    .selectFrom('suggestion')
    .select(['id', 'status'])
    .where('idempotency_key', '=', row.idempotency_key)
    .executeTakeFirstOrThrow();
  return { ...existing, inserted: false };
}

const withAgent = (db: Db) =>
  db
    .selectFrom('suggestion as s')
    .leftJoin('agent as a', 'a.id', 's.agent_id')
    .leftJoin('pack_installation as i', 'i.id', 'a.installation_id')
    .leftJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .selectAll('s')
    .select(['a.agent_key', 'v.manifest']);

export async function findSuggestion(db: Db, spaceId: string, id: string) {
  return withAgent(db).where('s.space_id', '=', spaceId).where('s.id', '=', id).executeTakeFirst();
}

export async function findSuggestionForUpdate(db: Db, spaceId: string, id: string) {
  return db.selectFrom('suggestion').selectAll().where('space_id', '=', spaceId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function listSuggestions(
  db: Db,
  spaceId: string,
  q: { statuses: readonly string[]; limit: number; before?: string; agentId?: string },
) {
  let query = withAgent(db)
    .where('s.space_id', '=', spaceId)
    .where('s.status', 'in', q.statuses as string[])
    .orderBy('s.id', 'desc')
    .limit(q.limit + 1);
  if (q.before) query = query.where('s.id', '<', q.before);
  if (q.agentId) query = query.where('s.agent_id', '=', q.agentId);
  return query.execute();
}

export async function countPending(db: Db, spaceId: string): Promise<number> {
  const r = await db
    .selectFrom('suggestion')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('space_id', '=', spaceId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function updateSuggestion(db: Db, spaceId: string, id: string, set: Updateable<Suggestion>): Promise<void> {
  await db.updateTable('suggestion').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

/** Records an action's outcome only while its status is one of `from`; returns the rows updated (0 or 1). */
export async function finishSuggestion(
  db: Db,
  spaceId: string,
  id: string,
  from: readonly string[],
  set: Updateable<Suggestion>,
  /** Only while this claim (the `attempts` a worker set when it took the action) still holds. */
  attempts?: number,
): Promise<number> {
  const r = await db
    .updateTable('suggestion')
    .set(set)
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .$if(attempts !== undefined, (q) => q.where('attempts', '=', attempts!))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Gives an action back for a later attempt (`approved`) only while this worker's claim still holds:
 * `executing` at the attempt it claimed. A worker frozen past its lease that wakes after another one
 * recorded the outcome changes nothing. Returns the rows updated (0 or 1).
 */
export async function releaseClaimedAction(
  db: Db,
  spaceId: string,
  id: string,
  attempts: number,
  set: Updateable<Suggestion>,
): Promise<number> {
  const r = await db
    .updateTable('suggestion')
    .set({ ...set, status: 'approved' })
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('status', '=', 'executing')
    .where('attempts', '=', attempts)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Pending suggestions past their expiry, across spaces (system work), in batches. */
export async function expireDue(db: Db, now: Date, limit = 500) {
  return db
    .updateTable('suggestion')
    .set({ status: 'expired', updated_at: now })
    .where('id', 'in', (eb) =>
      eb.selectFrom('suggestion').select('id').where('status', '=', 'pending').where('expires_at', '<', now).limit(limit),
    )
    .returning(['id', 'space_id', 'agent_id', 'owner_account_id', 'visibility', 'title'])
    .execute();
}

/**
 * Approved or executing actions whose job used every attempt and is held by no worker: each worker
 * that took it died, so nothing will finish it. Across spaces (system work).
 */
export async function listAbandonedActions(db: Db, limit = 100) {
  const r = await sql<{ id: string; space_id: string }>`
    select s.id, s.space_id
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id and t.identifier = 'suggestions.execute-action'
    join suggestion s on s.id = (j.payload->>'suggestionId')::uuid
    where j.locked_at is null and j.attempts >= j.max_attempts and s.status in ('approved', 'executing')
    limit ${limit}`.execute(db);
  return r.rows;
}

/**
 * Dismisses pending suggestions whose action names one of these objects (`messageId`, `listId`,
 * `taskId`, `eventId`), e.g. when the demo's sample data they were about is removed. Returns how many.
 */
export async function dismissPendingAbout(db: Db, spaceId: string, ids: readonly string[], now: Date): Promise<number> {
  if (!ids.length) return 0;
  const r = await db
    .updateTable('suggestion')
    .set({ status: 'dismissed', decided_at: now, updated_at: now })
    .where('space_id', '=', spaceId)
    .where('status', '=', 'pending')
    .where((eb) =>
      eb.or(
        (['messageId', 'listId', 'taskId', 'eventId'] as const).map((k) =>
          eb(eb.fn('jsonb_extract_path_text', ['action', eb.val(k)]), 'in', [...ids]),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
