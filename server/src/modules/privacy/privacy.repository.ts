import { type RawBuilder, sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { TableInfo, TableRule } from './privacy.policy.js';

/** Every base table of the public schema with its columns and its foreign keys to account, from the live schema. */
export async function discoverTables(db: Db): Promise<TableInfo[]> {
  const cols = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select c.table_name, c.column_name, c.data_type
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`.execute(db);
  const fks = await sql<{ tbl: string; col: string; deltype: string }>`
    select c.conrelid::regclass::text as tbl, a.attname as col, c.confdeltype as deltype
    from pg_constraint c
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace and c.confrelid = 'public.account'::regclass`.execute(db);
  const byTable = new Map<string, { columns: Map<string, string>; accountFks: { column: string; onDelete: string }[] }>();
  for (const r of cols.rows) {
    const t = byTable.get(r.table_name) ?? { columns: new Map<string, string>(), accountFks: [] };
    byTable.set(r.table_name, t);
    t.columns.set(r.column_name, r.data_type);
  }
  for (const f of fks.rows) byTable.get(f.tbl.replace(/^public\./, ''))?.accountFks.push({ column: f.col, onDelete: f.deltype });
  return [...byTable.entries()].map(([name, t]) => ({ name, ...t }));
}

/** Who and where: the person and the spaces they belong to. */
export interface PersonScope {
  readonly accountId: string;
  readonly spaceIds: readonly string[];
}

/** The rows of a table that are the person's (or shared with them), as a SQL condition on alias `t`. */
export function personWhere(t: TableInfo, rule: TableRule, p: PersonScope): RawBuilder<boolean> {
  const spaces = sql`${sql.val([...p.spaceIds])}::uuid[]`;
  const owners = (cols: string[]) => cols.map((c) => sql`${sql.ref(`t.${c}`)} = ${p.accountId}`);
  switch (rule.kind) {
    case 'account':
      return sql<boolean>`t.id = ${p.accountId}`;
    case 'space':
      return sql<boolean>`t.id = any(${spaces})`;
    case 'tenant': {
      const inSpace = rule.visibility
        ? sql`(t.space_id = any(${spaces}) and (t.visibility = 'shared' or t.owner_account_id = ${p.accountId}))`
        : sql`t.space_id = any(${spaces})`;
      return sql<boolean>`(${sql.join([inSpace, ...owners(rule.ownerColumns)], sql` or `)})`;
    }
    case 'personal':
      if (t.name === 'listing_screenshot')
        return sql<boolean>`t.pack_id in (select pack_id from listing where creator_account_id = ${p.accountId})`;
      return sql<boolean>`(${sql.join(owners(rule.ownerColumns), sql` or `)})`;
    default:
      return sql<boolean>`false`;
  }
}

/** The person's spaces: every membership, with the owner and member count (for family ownership checks). */
export async function listSpacesOfAccount(db: Db, accountId: string) {
  return db
    .selectFrom('membership as m')
    .innerJoin('space as s', 's.id', 'm.space_id')
    .select((eb) => [
      's.id',
      's.kind',
      's.name',
      's.owner_account_id',
      'm.role',
      eb.selectFrom('membership as o').select(eb.fn.countAll<number>().as('n')).whereRef('o.space_id', '=', 's.id').as('members'),
    ])
    .where('m.account_id', '=', accountId)
    .execute();
}

// ---- exports

export async function insertExport(db: Db, row: { id: string; account_id: string; created_at: Date }) {
  await db.insertInto('privacy_export').values(row).execute();
}

export async function findExport(db: Db, accountId: string, id: string) {
  return db.selectFrom('privacy_export').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function findExportById(db: Db, id: string) {
  return db.selectFrom('privacy_export').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listExportRows(db: Db, accountId: string) {
  return db.selectFrom('privacy_export').selectAll().where('account_id', '=', accountId).orderBy('created_at', 'desc').limit(20).execute();
}

export async function updateExport(db: Db, id: string, patch: Record<string, unknown>) {
  await db
    .updateTable('privacy_export')
    .set(patch as never)
    .where('id', '=', id)
    .execute();
}

export async function findExportByLink(db: Db, linkHash: Buffer) {
  return db.selectFrom('privacy_export').selectAll().where('link_hash', '=', linkHash).executeTakeFirst();
}

export async function listExpiredExports(db: Db, now: Date) {
  return db.selectFrom('privacy_export').selectAll().where('status', '=', 'ready').where('expires_at', '<', now).execute();
}

// ---- deletions

export async function findLiveDeletion(db: Db, accountId: string) {
  return db
    .selectFrom('privacy_deletion')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('status', 'in', ['scheduled', 'running'])
    .executeTakeFirst();
}

export async function findLatestDeletion(db: Db, accountId: string) {
  return db
    .selectFrom('privacy_deletion')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('requested_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findDeletion(db: Db, id: string) {
  return db.selectFrom('privacy_deletion').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDeletionByReportToken(db: Db, hash: Buffer) {
  return db.selectFrom('privacy_deletion').selectAll().where('report_token_hash', '=', hash).executeTakeFirst();
}

export async function insertDeletion(
  db: Db,
  row: { id: string; account_id: string; status: string; requested_at: Date; execute_after: Date; report_token_hash: Buffer },
) {
  await db.insertInto('privacy_deletion').values(row).execute();
}

export async function updateDeletion(db: Db, id: string, patch: Record<string, unknown>) {
  await db
    .updateTable('privacy_deletion')
    .set(patch as never)
    .where('id', '=', id)
    .execute();
}

/** Records a finished step in the same transaction as its work (a crash resumes after the last one). */
export async function markStepDone(db: Db, id: string, step: string, report: unknown) {
  await sql`update privacy_deletion set steps_done = array_append(steps_done, ${step}), report = ${JSON.stringify(report)}::jsonb where id = ${id}`.execute(
    db,
  );
}

// ---- job queue (graphile_worker): tables discovered, payloads matched by any id they carry

export async function deleteJobsReferencing(db: Db, ids: readonly string[], exceptJobId: string | null): Promise<number> {
  if (!ids.length) return 0;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.columns
    where table_schema = 'graphile_worker' and column_name = 'payload'
      and table_name in (select table_name from information_schema.tables where table_schema = 'graphile_worker' and table_type = 'BASE TABLE')`.execute(
    db,
  );
  let n = 0;
  for (const t of tables.rows) {
    const r = await sql`
      delete from ${sql.table(`graphile_worker.${t.table_name}`)} j
      where (${exceptJobId}::bigint is null or j.id <> ${exceptJobId}::bigint)
        and exists (
          select 1 from jsonb_path_query(j.payload::jsonb, 'lax $.**') v
          where jsonb_typeof(v) = 'string' and (v #>> '{}') = any(${sql.val([...ids])}::text[]))`.execute(db);
    n += Number(r.numAffectedRows ?? 0);
  }
  return n;
}

// ---- retention

export async function listSpacesForRetention(db: Db) {
  return db.selectFrom('space').select(['id']).where('status', '=', 'active').execute();
}

/** History windows of plans that ended within the last 30 days (the downgrade notice). */
export async function recentlyEndedHistoryDays(db: Db, spaceId: string, since: Date): Promise<number[]> {
  const r = await sql<{ days: number | null }>`
    select (v.limits->>'historyDays')::int as days
    from subscription s join plan_version v on v.id = s.plan_version_id
    where s.space_id = ${spaceId} and s.kind = 'base' and s.ended_at is not null and s.ended_at >= ${since}`.execute(db);
  return r.rows.map((x) => x.days).filter((d): d is number => typeof d === 'number');
}

export async function purgeRuns(db: Db, spaceId: string, before: Date, agentId?: string): Promise<{ runs: number; suggestions: number }> {
  const agent = agentId ? sql`and agent_id = ${agentId}` : sql``;
  // A settled suggestion goes with its run's history (its created_at is stamped by the database clock,
  // the run's times by the application's), or by its own age when no run made it.
  const s = await sql`delete from suggestion where space_id = ${spaceId} and status <> 'pending' ${agent}
      and (created_at < ${before} or run_id in (
        select id from agent_run where space_id = ${spaceId} and coalesce(finished_at, queued_at) < ${before}
          and status in ('succeeded', 'failed', 'cancelled', 'refused') ${agent}))`.execute(db);
  await sql`delete from run_step where space_id = ${spaceId} and run_id in (
      select id from agent_run where space_id = ${spaceId} and coalesce(finished_at, queued_at) < ${before}
        and status in ('succeeded', 'failed', 'cancelled', 'refused') ${agent})`.execute(db);
  await sql`delete from model_call where space_id = ${spaceId} and at < ${before} and run_id in (
      select id from agent_run where space_id = ${spaceId} and coalesce(finished_at, queued_at) < ${before} ${agent})`.execute(db);
  const r = await sql`delete from agent_run ar where space_id = ${spaceId} and coalesce(finished_at, queued_at) < ${before}
      and status in ('succeeded', 'failed', 'cancelled', 'refused') ${agent}
      and not exists (select 1 from suggestion sg where sg.run_id = ar.id)`.execute(db);
  return { runs: Number(r.numAffectedRows ?? 0), suggestions: Number(s.numAffectedRows ?? 0) };
}

export async function listAgentsWithHistoryDays(db: Db, spaceId: string) {
  return db
    .selectFrom('agent')
    .select(['id', 'history_days'])
    .where('space_id', '=', spaceId)
    .where('history_days', 'is not', null)
    .execute();
}

// ---- redaction

export async function listRedactionRows(db: Db, spaceId: string) {
  return db.selectFrom('privacy_redaction').selectAll().where('space_id', '=', spaceId).orderBy('created_at').execute();
}
