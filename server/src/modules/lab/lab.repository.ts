import { sql } from 'kysely';
import type { Db } from '#core/db.js';

export async function findOptOut(db: Db, spaceId: string) {
  return db.selectFrom('lab_opt_out').selectAll().where('space_id', '=', spaceId).executeTakeFirst();
}

export async function insertOptOut(db: Db, row: { space_id: string; opted_out_at: Date; by_account_id: string }): Promise<void> {
  await db
    .insertInto('lab_opt_out')
    .values(row)
    .onConflict((oc) => oc.column('space_id').doNothing())
    .execute();
}

export async function deleteOptOut(db: Db, spaceId: string): Promise<void> {
  await db.deleteFrom('lab_opt_out').where('space_id', '=', spaceId).execute();
}

export async function countOptOuts(db: Db): Promise<number> {
  const r = await db
    .selectFrom('lab_opt_out')
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function findWinner(db: Db, packId: string, agentKey: string) {
  return db.selectFrom('lab_winner').selectAll().where('pack_id', '=', packId).where('agent_key', '=', agentKey).executeTakeFirst();
}

export async function listWinners(db: Db) {
  return db.selectFrom('lab_winner').selectAll().execute();
}

export async function upsertWinner(
  db: Db,
  row: { pack_id: string; agent_key: string; variant: string; promoted_at: Date; promoted_by: string },
) {
  await db
    .insertInto('lab_winner')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['pack_id', 'agent_key'])
        .doUpdateSet({ variant: row.variant, promoted_at: row.promoted_at, promoted_by: row.promoted_by }),
    )
    .execute();
}

/** Records a space's first assignment (sticky: an agent that has a variant keeps it). */
export async function assignAgentVariant(db: Db, spaceId: string, agentId: string, variant: string): Promise<void> {
  await db
    .updateTable('agent')
    .set({ variant })
    .where('space_id', '=', spaceId)
    .where('id', '=', agentId)
    .where('variant', 'is', null)
    .execute();
}

/** Every agent of a pack's agent key, in every space, moves to the promoted variant (system work). */
export async function setVariantEverywhere(db: Db, packId: string, agentKey: string, variant: string) {
  return db
    .updateTable('agent')
    .set({ variant })
    .where('agent_key', '=', agentKey)
    .where('installation_id', 'in', (q) => q.selectFrom('pack_installation').select('id').where('pack_id', '=', packId))
    .where((e) => e.or([e('variant', 'is', null), e('variant', '<>', variant)]))
    .returning(['id', 'space_id'])
    .execute();
}

export interface LabCellRow {
  pack_id: string;
  agent_key: string;
  variant: string | null;
  space_id: string;
  runs: number;
  finished: number;
  failed: number;
  run_ms: string;
  model_micros: string;
  decided: number;
  approved: number;
  edited_approved: number;
}

/**
 * Per pack, agent, variant and space: run counts, failures, run time, model cost, and the people's
 * decisions on the suggestions of those runs (automatic approvals excluded). Spaces that opted out are
 * left out here, at the source. System read across spaces: the service only ever returns aggregates.
 */
export async function labCells(db: Db, a: { from: Date; to: Date }): Promise<LabCellRow[]> {
  const r = await sql<LabCellRow>`
    select i.pack_id, ag.agent_key, r.variant, r.space_id::text as space_id,
      count(*)::int as runs,
      count(*) filter (where r.status in ('succeeded', 'failed'))::int as finished,
      count(*) filter (where r.status = 'failed')::int as failed,
      coalesce(sum(floor(extract(epoch from (r.finished_at - r.started_at)) * 1000)), 0)::bigint::text as run_ms,
      coalesce(sum(mc.micros), 0)::bigint::text as model_micros,
      coalesce(sum(sg.decided), 0)::int as decided,
      coalesce(sum(sg.approved), 0)::int as approved,
      coalesce(sum(sg.edited_approved), 0)::int as edited_approved
    from agent_run r
    join agent ag on ag.id = r.agent_id
    join pack_installation i on i.id = r.installation_id
    left join lateral (select sum(m.cost_micros) as micros from model_call m where m.run_id = r.id) mc on true
    left join lateral (
      select count(*) filter (where s.approved_at is not null or s.status = 'rejected') as decided,
        count(*) filter (where s.approved_at is not null) as approved,
        count(*) filter (where s.approved_at is not null and s.edited) as edited_approved
      from suggestion s where s.run_id = r.id and not s.auto
    ) sg on true
    where r.started_at >= ${a.from} and r.started_at < ${a.to} and r.finished_at is not null
      and not exists (select 1 from lab_opt_out o where o.space_id = r.space_id)
    group by 1, 2, 3, 4`.execute(db);
  return r.rows;
}

/** The newest manifest of every pack (names, declared variants). */
export async function latestManifests(db: Db) {
  const r = await sql<{ pack_id: string; manifest: unknown }>`
    select distinct on (pack_id) pack_id, manifest from pack_version order by pack_id, created_at desc`.execute(db);
  return r.rows;
}
