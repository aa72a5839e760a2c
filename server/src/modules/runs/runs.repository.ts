import type { Insertable, Selectable } from 'kysely';
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

/** What app_admit_runs takes per trigger (see the migration 20261126T2000_tune_run_engine). */
export interface AdmitSpec {
  run_id: string;
  space_id: string;
  agent_id: string;
  kind: string;
  key: string;
  data: Record<string, unknown>;
  now: string;
  priority: number;
  created_by: string | null;
  period_start: string;
  period_end: string;
  base_limit: number;
  stamp: string;
  max_attempts: number;
  /** For a webhook delivery: the token's hash (hex) that must still be the agent's. */
  token_hash?: string;
}

export interface AdmitOutcome {
  idx: number;
  outcome: 'queued' | 'duplicate' | 'quota' | 'held' | 'not_found' | 'stale';
  run_id: string | null;
  owner_account_id: string | null;
  visibility: string | null;
  installation_id: string | null;
  used: number | null;
  quota_limit: number | null;
}

/** Admits triggers in one statement (one commit and one queue notification for all of them), in the given order. */
export async function admitRuns(db: Db, specs: AdmitSpec[]): Promise<AdmitOutcome[]> {
  const r = await sql<AdmitOutcome>`select * from app_admit_runs(${JSON.stringify(specs)}::jsonb)`.execute(db);
  return r.rows;
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
 * The claim and everything the executor reads before the first step, in one statement: the run moves to
 * running (counting the attempt) and comes back with its agent and installation, the pack version it
 * runs (its seal: source, bundle hash and signature; its manifest and files come from the cache of
 * immutable versions), whether the agent's owner is suspended, the space's members (names, time
 * zones, languages) and the agent's latest rejected suggestions. Undefined when the run is finished.
 */
export async function claimRunWithAgent(db: Db, spaceId: string, id: string, now: Date) {
  const r = await sql<ClaimedRow>`
    update agent_run r set status = 'running', started_at = coalesce(r.started_at, ${now}), attempts = r.attempts + 1
    from agent a join pack_installation i on i.id = a.installation_id join pack_version v on v.id = i.pack_version_id
      join account o on o.id = a.owner_account_id
    where r.space_id = ${spaceId} and r.id = ${id} and r.status in ('queued', 'running') and a.id = r.agent_id
    returning r.*,
      json_build_object('id', a.id, 'space_id', a.space_id, 'owner_account_id', a.owner_account_id, 'visibility', a.visibility,
        'installation_id', a.installation_id, 'agent_key', a.agent_key, 'enabled', a.enabled, 'disabled_reason', a.disabled_reason,
        'policies', a.policies, 'schedule', a.schedule, 'store_payloads', a.store_payloads, 'variant', a.variant,
        'installation_status', i.status, 'paused_reason', i.paused_reason, 'settings', i.settings, 'granted_scopes', i.granted_scopes,
        'local_only', i.local_only, 'pack_id', i.pack_id, 'pack_version_id', i.pack_version_id,
        'pack_source', v.source, 'bundle_sha256', v.bundle_sha256, 'signature', v.signature, 'owner_suspended_at', o.suspended_at) as agent_row,
      (select coalesce(json_agg(json_build_object('id', p.id, 'display_name', p.display_name, 'time_zone', p.time_zone, 'locale', p.locale)
         order by m.created_at), '[]') from membership m join account p on p.id = m.account_id where m.space_id = r.space_id) as people,
      (select coalesce(json_agg(x), '[]') from (
         select s.action_type, s.title, s.reject_reason from suggestion s
         where s.space_id = r.space_id and s.agent_id = r.agent_id and s.status = 'rejected' order by s.decided_at desc limit 10) x) as rejections`.execute(
    db,
  );
  return r.rows[0];
}

export type ClaimedRow = Selectable<AgentRun> & {
  agent_row: {
    id: string;
    space_id: string;
    owner_account_id: string;
    visibility: string;
    installation_id: string;
    agent_key: string;
    enabled: boolean;
    disabled_reason: string | null;
    policies: unknown;
    schedule: unknown;
    store_payloads: boolean;
    variant: string | null;
    installation_status: string;
    paused_reason: string | null;
    settings: unknown;
    granted_scopes: string[];
    local_only: boolean;
    pack_id: string;
    pack_version_id: string;
    /** The version's seal (its files come from the executor's cache): checked before every run. */
    pack_source: string;
    bundle_sha256: string;
    signature: string | null;
    /** When the agent's owner was suspended (an ISO string: the row is built as JSON), or null. */
    owner_suspended_at: string | null;
  };
  people: Array<{ id: string; display_name: string; time_zone: string; locale: string }>;
  rejections: Array<{ action_type: string; title: string; reject_reason: string | null }>;
};

export async function findPackVersionFiles(db: Db, id: string) {
  return db.selectFrom('pack_version').select(['manifest', 'files', 'version']).where('id', '=', id).executeTakeFirst();
}

/**
 * Records steps (one statement for several) and answers whether someone asked to cancel the run
 * meanwhile and which attempt holds it now (another worker may have taken it over), so that the
 * executor needs no separate round trip for that.
 */
export async function recordSteps(
  db: Db,
  spaceId: string,
  runId: string,
  rows: Insertable<RunStep>[],
): Promise<{ cancel: boolean; attempts: number | null }> {
  const insert = rows.length
    ? sql`, ins as (insert into run_step ${valuesOf(rows)} on conflict (run_id, idx) do update
        set status = excluded.status, output = excluded.output, error = excluded.error, finished_at = excluded.finished_at)`
    : sql``;
  const r = await sql<{ cancel: boolean; attempts: number }>`with x as (select 1) ${insert}
    select cancel_requested_at is not null as cancel, attempts from agent_run where space_id = ${spaceId} and id = ${runId}`.execute(db);
  return { cancel: r.rows[0]?.cancel ?? false, attempts: r.rows[0]?.attempts ?? null };
}

/** Records the last steps and finishes the run in one statement (one commit). */
export async function finishWithSteps(
  db: Db,
  spaceId: string,
  runId: string,
  attempt: number,
  rows: Insertable<RunStep>[],
  set: Partial<Record<keyof AgentRun, unknown>>,
): Promise<number> {
  if (!rows.length) return updateClaimedRun(db, spaceId, runId, attempt, set);
  // The run's row is fenced by the attempt like updateClaimedRun (0 rows: another worker took it over).
  const update = db
    .updateTable('agent_run')
    .set(set as never)
    .where('space_id', '=', spaceId)
    .where('id', '=', runId)
    .where('status', '=', 'running')
    .where('attempts', '=', attempt)
    .returning('id');
  const r = await sql<{ id: string }>`with ok as (${update}), ins as (insert into run_step ${valuesOf(rows)}
      on conflict (run_id, idx) do update
      set status = excluded.status, output = excluded.output, error = excluded.error, finished_at = excluded.finished_at
      returning 1)
    select id from ok`.execute(db);
  return r.rows.length;
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

const STEP_COLUMNS = [
  'run_id',
  'idx',
  'space_id',
  'owner_account_id',
  'visibility',
  'step_key',
  'kind',
  'name',
  'status',
  'input',
  'output',
  'error',
  'started_at',
  'finished_at',
] as const;

function valuesOf(rows: Insertable<RunStep>[]) {
  const cols = sql.join(STEP_COLUMNS.map((c) => sql.ref(c)));
  const values = sql.join(
    rows.map(
      (r) =>
        sql`(${sql.join(STEP_COLUMNS.map((c) => (c === 'input' || c === 'output' ? sql`${r[c] ?? null}::jsonb` : sql`${r[c] ?? null}`)))})`,
    ),
  );
  return sql`(${cols}) values ${values}`;
}

export async function listSteps(db: Db, spaceId: string, runId: string) {
  return db.selectFrom('run_step').selectAll().where('space_id', '=', spaceId).where('run_id', '=', runId).orderBy('idx').execute();
}

/** The columns of a run summary (no trigger data: a list does not show it, and it can be large). */
const SUMMARY_COLUMNS = [
  'r.id',
  'r.agent_id',
  'r.trigger_kind',
  'r.status',
  'r.refused_reason',
  'r.reason_text',
  'r.error',
  'r.queued_at',
  'r.started_at',
  'r.finished_at',
  'r.step_count',
  'r.tokens_in',
  'r.tokens_out',
  'r.cost_micros',
  'r.visibility',
] as const;

/** The agent's key, its name in the manifest (found by the database: not the manifest's agent list for every row) and the pack's name. */
const agentNames = [
  'a.agent_key',
  sql<string>`v.manifest->>'name'`.as('pack_name'),
  sql<string | null>`(select x->>'name' from jsonb_array_elements(v.manifest->'agents') x where x->>'id' = a.agent_key limit 1)`.as(
    'agent_name',
  ),
] as const;

export async function findRunWithAgent(db: Db, spaceId: string, id: string) {
  return db
    .selectFrom('agent_run as r')
    .innerJoin('agent as a', 'a.id', 'r.agent_id')
    .innerJoin('pack_installation as i', 'i.id', 'r.installation_id')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .select([...SUMMARY_COLUMNS, ...agentNames])
    .where('r.space_id', '=', spaceId)
    .where('r.id', '=', id)
    .executeTakeFirst();
}

/**
 * A page of the run history. The page is taken from agent_run alone first (its index is in page order)
 * and only then joined with the agent and its pack: joined first, the planner cannot see through the
 * row-level security filters and sorted the whole history of the space for every page (0.5 ms against
 * 700 ms on 100,000 runs, bench/README.md). Runs, agents and installations share their visibility, so
 * the joins drop nothing the page took.
 */
export async function listRuns(
  db: Db,
  spaceId: string,
  q: { limit: number; before?: { at: Date; id: string }; status?: string; agentId?: string },
) {
  let page = db
    .selectFrom('agent_run as r')
    .select([...SUMMARY_COLUMNS, 'r.installation_id'])
    .where('r.space_id', '=', spaceId)
    .orderBy('r.queued_at', 'desc')
    .orderBy('r.id', 'desc')
    .limit(q.limit + 1);
  if (q.before)
    page = page.where((eb) =>
      eb.or([eb('r.queued_at', '<', q.before!.at), eb.and([eb('r.queued_at', '=', q.before!.at), eb('r.id', '<', q.before!.id)])]),
    );
  if (q.status) page = page.where('r.status', '=', q.status);
  if (q.agentId) page = page.where('r.agent_id', '=', q.agentId);
  return db
    .selectFrom(page.as('r'))
    .innerJoin('agent as a', 'a.id', 'r.agent_id')
    .innerJoin('pack_installation as i', 'i.id', 'r.installation_id')
    .innerJoin('pack_version as v', 'v.id', 'i.pack_version_id')
    .select([...SUMMARY_COLUMNS, ...agentNames])
    .orderBy('r.queued_at', 'desc')
    .orderBy('r.id', 'desc')
    .execute();
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
