import type { Insertable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { AgentEvent, AgentRun, RunStep } from '#core/db.types.js';

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

/** Inserts a run unless this agent already has one for the trigger key (a repeated event or delivery). */
export async function insertRun(db: Db, row: Insertable<AgentRun>): Promise<string | undefined> {
  const r = await db
    .insertInto('agent_run')
    .values(row)
    .onConflict((oc) => oc.columns(['agent_id', 'trigger_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return r?.id;
}

export async function findRunIdByTrigger(db: Db, agentId: string, triggerKey: string) {
  return (
    (await db
      .selectFrom('agent_run')
      .select(['id', 'status'])
      .where('agent_id', '=', agentId)
      .where('trigger_key', '=', triggerKey)
      .executeTakeFirst()) ?? null
  );
}

export async function findRun(db: Db, spaceId: string, id: string) {
  return db.selectFrom('agent_run').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

export async function updateRun(db: Db, spaceId: string, id: string, set: Partial<Record<keyof AgentRun, unknown>>): Promise<number> {
  const r = await db
    .updateTable('agent_run')
    .set(set as never)
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Updates a running run only while `attempt` is still its latest claim (the fencing token): a worker
 * whose claim another worker superseded changes nothing. Returns the number of rows updated (0 or 1).
 */
export async function updateClaimedRun(
  db: Db,
  spaceId: string,
  id: string,
  attempt: number,
  set: Partial<Record<keyof AgentRun, unknown>>,
): Promise<number> {
  const r = await db
    .updateTable('agent_run')
    .set(set as never)
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where('attempts', '=', attempt)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Moves a queued (or interrupted running) run to running, counting the attempt; returns it, or undefined if it is finished. */
export async function claimRun(db: Db, spaceId: string, id: string, now: Date) {
  return db
    .updateTable('agent_run')
    .set((eb) => ({ status: 'running', started_at: eb.fn.coalesce('started_at', eb.val(now)), attempts: eb('attempts', '+', 1) }))
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

export async function listSteps(db: Db, spaceId: string, runId: string) {
  return db.selectFrom('run_step').selectAll().where('space_id', '=', spaceId).where('run_id', '=', runId).orderBy('idx').execute();
}

export async function insertStep(db: Db, row: Insertable<RunStep>): Promise<void> {
  await db
    .insertInto('run_step')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['run_id', 'idx']).doUpdateSet((eb) => ({
        status: eb.ref('excluded.status'),
        output: eb.ref('excluded.output'),
        error: eb.ref('excluded.error'),
        finished_at: eb.ref('excluded.finished_at'),
      })),
    )
    .execute();
}

const runsWithAgent = (db: Db, spaceId: string) =>
  db
    .selectFrom('agent_run as r')
    .innerJoin('agent as a', 'a.id', 'r.agent_id')
    .innerJoin('pack_installation as i', 'i.id', 'r.installation_id')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .selectAll('r')
    .select(['a.agent_key', sql<string>`v.manifest->>'name'`.as('pack_name'), sql<unknown>`v.manifest->'agents'`.as('agents')])
    .where('r.space_id', '=', spaceId);

export async function findRunWithAgent(db: Db, spaceId: string, id: string) {
  return runsWithAgent(db, spaceId).where('r.id', '=', id).executeTakeFirst();
}

export async function listRuns(
  db: Db,
  spaceId: string,
  q: { limit: number; before?: { at: Date; id: string }; status?: string; agentId?: string },
) {
  let query = runsWithAgent(db, spaceId)
    .orderBy('r.queued_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(q.limit + 1);
  if (q.before)
    query = query.where((eb) =>
      eb.or([eb('r.queued_at', '<', q.before!.at), eb.and([eb('r.queued_at', '=', q.before!.at), eb('r.id', '<', q.before!.id)])]),
    );
  if (q.status) query = query.where('r.status', '=', q.status);
  if (q.agentId) query = query.where('r.agent_id', '=', q.agentId);
  return query.execute();
}

export async function suggestionIdsOfRun(db: Db, spaceId: string, runId: string) {
  return (
    await db.selectFrom('suggestion').select('id').where('space_id', '=', spaceId).where('run_id', '=', runId).orderBy('id').execute()
  ).map((r) => r.id);
}

/** Marks the quota warning sent for this period (returns true only for the first caller). */
export async function markQuotaNotified(db: Db, spaceId: string, periodStart: Date, percent: number): Promise<boolean> {
  const r = await db
    .updateTable('usage_counter')
    .set({ notified_percent: percent })
    .where('space_id', '=', spaceId)
    .where('metric', '=', 'runs')
    .where('period_start', '=', periodStart)
    .where('notified_percent', '<', percent)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Runs still queued or running whose job used every attempt and is held by no worker: each worker
 * that took it died before finishing (kill -9, out of memory), so nothing will run it again.
 */
export async function listAbandonedRuns(db: Db, limit = 100) {
  const r = await sql<{ id: string; space_id: string; tries: number }>`
    select r.id, r.space_id, j.attempts as tries
    from graphile_worker._private_jobs j
    join graphile_worker._private_tasks t on t.id = j.task_id and t.identifier = 'runs.execute-run'
    join agent_run r on r.id = (j.payload->>'runId')::uuid
    where j.locked_at is null and j.attempts >= j.max_attempts and r.status in ('queued', 'running')
    limit ${limit}`.execute(db);
  return r.rows;
}

/** Ends an abandoned run as failed, unless it ended meanwhile. */
export async function failAbandonedRun(db: Db, spaceId: string, id: string, error: string, at: Date): Promise<boolean> {
  const r = await db
    .updateTable('agent_run')
    .set({ status: 'failed', error, finished_at: at })
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
