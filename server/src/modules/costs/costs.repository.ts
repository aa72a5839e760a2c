import { sql } from 'kysely';
import type { Db } from '#core/db.js';

// System reads across spaces (operators' aggregates): they run as the owner role, by name.

/** The runs that finished with their start in [from, to): model cost and tokens from their metered calls, run time, and the plan their space was on when they started. */
const runsIn = (from: Date, to: Date, spaceId?: string) => sql`
  select r.id, r.space_id, r.agent_id, r.installation_id, i.pack_id, a.agent_key,
    to_char(r.started_at at time zone 'UTC', 'YYYY-MM') as month,
    floor(extract(epoch from (r.finished_at - r.started_at)) * 1000)::bigint as ms,
    coalesce(mc.micros, 0)::bigint as model_micros,
    coalesce(mc.tin, 0)::bigint as tokens_in,
    coalesce(mc.tout, 0)::bigint as tokens_out,
    coalesce((select s.plan_id from subscription s
              where s.space_id = r.space_id and s.kind = 'base' and s.created_at <= r.started_at
              order by s.created_at desc limit 1), 'free') as plan_id
  from agent_run r
  join agent a on a.id = r.agent_id
  join pack_installation i on i.id = r.installation_id
  left join lateral (
    select sum(m.cost_micros) as micros, sum(m.tokens_in) as tin, sum(m.tokens_out) as tout
    from model_call m where m.run_id = r.id
  ) mc on true
  where r.started_at >= ${from} and r.started_at < ${to} and r.finished_at is not null and r.started_at is not null
    ${spaceId ? sql`and r.space_id = ${spaceId}` : sql``}`;

export interface RunAggregate {
  key: string;
  month: string | null;
  runs: number;
  ms: string;
  model_micros: string;
  tokens_in: string;
  tokens_out: string;
}

const GROUP_KEYS = {
  plan: sql`plan_id`,
  agent: sql`pack_id || '/' || agent_key`,
  pack: sql`pack_id`,
  space: sql`space_id::text`,
  month: sql`month`,
} as const;

/** Run aggregates grouped by plan, agent (pack/agent key), pack or space, optionally also by month. */
export async function aggregateRuns(
  db: Db,
  a: { from: Date; to: Date; by: keyof typeof GROUP_KEYS; byMonth?: boolean; spaceId?: string },
): Promise<RunAggregate[]> {
  const key = GROUP_KEYS[a.by];
  const r = await sql<RunAggregate>`
    with runs as (${runsIn(a.from, a.to, a.spaceId)})
    select ${key} as key, ${a.byMonth ? sql`month` : sql`null::text`} as month, count(*)::int as runs,
      coalesce(sum(ms), 0)::text as ms, coalesce(sum(model_micros), 0)::text as model_micros,
      coalesce(sum(tokens_in), 0)::text as tokens_in, coalesce(sum(tokens_out), 0)::text as tokens_out
    from runs group by 1, 2`.execute(db);
  return r.rows;
}

/** Per space, the runs a plan's spaces made in [from, to): what the quota advisor measures. */
export async function spaceRunsOnPlan(db: Db, a: { from: Date; to: Date; planId: string }): Promise<RunAggregate[]> {
  const r = await sql<RunAggregate>`
    with runs as (${runsIn(a.from, a.to)})
    select space_id::text as key, null::text as month, count(*)::int as runs,
      coalesce(sum(ms), 0)::text as ms, coalesce(sum(model_micros), 0)::text as model_micros,
      coalesce(sum(tokens_in), 0)::text as tokens_in, coalesce(sum(tokens_out), 0)::text as tokens_out
    from runs where plan_id = ${a.planId} group by 1`.execute(db);
  return r.rows;
}

/** Model calls in [from, to) by model: calls, runs that made them, tokens and cost. */
export async function aggregateModels(db: Db, a: { from: Date; to: Date }) {
  const r = await sql<{ key: string; runs: number; model_micros: string; tokens_in: string; tokens_out: string }>`
    select model as key, count(distinct run_id)::int as runs, coalesce(sum(cost_micros), 0)::text as model_micros,
      coalesce(sum(tokens_in), 0)::text as tokens_in, coalesce(sum(tokens_out), 0)::text as tokens_out
    from model_call where at >= ${a.from} and at < ${a.to} group by model`.execute(db);
  return r.rows;
}

/** Paid invoices in [from, to) net of tax, by month, currency and the plan they paid for. */
export async function revenueRows(db: Db, a: { from: Date; to: Date }) {
  const r = await sql<{ month: string; plan_id: string; currency: string; subtotal: string }>`
    select to_char(i.paid_at at time zone 'UTC', 'YYYY-MM') as month, i.currency,
      coalesce(
        i.action->>'planId',
        (select s.plan_id from subscription s where s.id::text = i.action->>'subscriptionId'),
        (select s.plan_id from subscription s where s.space_id = i.space_id and s.kind = 'base' and s.created_at <= i.paid_at
         order by s.created_at desc limit 1),
        'free') as plan_id,
      sum(i.subtotal)::text as subtotal
    from invoice i
    where i.status = 'paid' and i.paid_at >= ${a.from} and i.paid_at < ${a.to}
    group by 1, 2, 3`.execute(db);
  return r.rows;
}

export async function planNames(db: Db): Promise<Map<string, { name: string; sort: number }>> {
  const rows = await db.selectFrom('plan').select(['id', 'name', 'sort']).execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, sort: r.sort }]));
}

/** Names of agents (pack/agent key) and packs, from the newest version of each pack. */
export async function packLabels(db: Db): Promise<{ packs: Map<string, string>; agents: Map<string, string> }> {
  const rows = await sql<{ pack_id: string; manifest: { name: string; agents: Array<{ id: string; name: string }> } }>`
    select distinct on (pack_id) pack_id, manifest from pack_version order by pack_id, created_at desc`.execute(db);
  const packs = new Map<string, string>();
  const agents = new Map<string, string>();
  for (const r of rows.rows) {
    packs.set(r.pack_id, r.manifest.name);
    for (const a of r.manifest.agents ?? []) agents.set(`${r.pack_id}/${a.id}`, `${r.manifest.name}: ${a.name}`);
  }
  return { packs, agents };
}

export async function spaceLabels(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db
    .selectFrom('space as s')
    .innerJoin('account as a', 'a.id', 's.owner_account_id')
    .select(['s.id', 's.name', 's.kind', 'a.email'])
    .where('s.id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, `${r.name} (${r.kind}, ${r.email})`]));
}
