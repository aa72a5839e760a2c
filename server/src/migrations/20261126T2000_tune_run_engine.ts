import { type Kysely, sql } from 'kysely';

// Frozen once merged. The run engine's fast path and the tables it churns (issue 11, bench/README.md):
// - app_admit_runs(specs): admission of one or many triggers in ONE statement (the batch shares one
//   commit and one NOTIFY: PostgreSQL serialises the commits of transactions that NOTIFY, so one add_job
//   per trigger capped admission at about 200/s on 2 cores). Same checks, same order as the transaction
//   it replaces: the agent, its owner's suspension and its installation, the run inserted once per
//   (agent, trigger key), the quota taken with one conditional statement, the job added with the plan's
//   priority. Entitlements come from the caller's cache and are checked against the live subscriptions
//   here ('stale' sends it back).
// - named to sort after 20261126T1900_create_family: the migrator refuses a migration older than the
//   last one a database has applied.
// - the scheduler's index; autovacuum per table for the rows every run rewrites (see the comments below).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function app_admit_runs(specs jsonb)
    returns table (idx int, outcome text, run_id uuid, owner_account_id uuid, visibility text, installation_id uuid, used int, quota_limit int)
    language plpgsql set search_path = pg_catalog, public as $fn$
    declare
      s jsonb;
      a record;
      t record;
      v_space uuid;
      v_id uuid;
      v_stamp text;
      jobs graphile_worker.job_spec[] := '{}';
    begin
      idx := 0;
      for s in select value from jsonb_array_elements(specs) loop
        idx := idx + 1;
        run_id := null; owner_account_id := null; visibility := null; installation_id := null; used := null; quota_limit := null;
        v_space := (s->>'space_id')::uuid;
        select coalesce(string_agg(sub.id::text || ':' || sub.xmin::text, ',' order by sub.id::text), '') into v_stamp
          from subscription sub where sub.space_id = v_space and sub.ended_at is null;
        if v_stamp is distinct from (s->>'stamp') then outcome := 'stale'; return next; continue; end if;
        select ag.owner_account_id, ag.visibility, ag.installation_id, ag.enabled, ag.webhook_token_hash, inst.status as inst_status,
            o.suspended_at as owner_suspended_at into a
          from agent ag join pack_installation inst on inst.id = ag.installation_id join account o on o.id = ag.owner_account_id
          where ag.space_id = v_space and ag.id = (s->>'agent_id')::uuid;
        -- A webhook delivery names the agent by a token the route may have cached: it must still be the agent's.
        if not found or (s ? 'token_hash' and a.webhook_token_hash is distinct from decode(s->>'token_hash', 'hex')) then
          outcome := 'not_found'; return next; continue;
        end if;
        owner_account_id := a.owner_account_id; visibility := a.visibility; installation_id := a.installation_id;
        -- Refused with its reasons by the caller's path of several statements: the owner's account is
        -- suspended, the pack is paused, or the agent is turned off.
        if a.owner_suspended_at is not null or not a.enabled or a.inst_status <> 'active' then
          outcome := 'held'; return next; continue;
        end if;
        insert into agent_run as r (id, space_id, owner_account_id, visibility, agent_id, installation_id, trigger_kind, trigger_key,
            trigger_data, status, queued_at, priority, created_by_account_id, quota_period_start)
          values ((s->>'run_id')::uuid, v_space, a.owner_account_id, a.visibility, (s->>'agent_id')::uuid, a.installation_id,
            s->>'kind', s->>'key', s->'data', 'queued', (s->>'now')::timestamptz, (s->>'priority')::int,
            (s->>'created_by')::uuid, (s->>'period_start')::timestamptz)
          on conflict (agent_id, trigger_key) do nothing
          returning r.id into v_id;
        if v_id is null then
          select r.id into run_id from agent_run r where r.agent_id = (s->>'agent_id')::uuid and r.trigger_key = s->>'key';
          outcome := 'duplicate'; return next; continue;
        end if;
        -- The quota: one conditional statement, as takeUsage does it (concurrent callers never exceed the limit).
        if (s->>'base_limit')::int < 1 then
          update usage_counter c set used = c.used + 1
            where c.space_id = v_space and c.metric = 'runs' and c.period_start = (s->>'period_start')::timestamptz
              and c.used + 1 <= c.base_limit + c.extra
            returning c.used, c.base_limit + c.extra as lim into t;
        else
          insert into usage_counter as c (space_id, metric, period_start, period_end, used, base_limit)
            values (v_space, 'runs', (s->>'period_start')::timestamptz, (s->>'period_end')::timestamptz, 1, (s->>'base_limit')::int)
            on conflict (space_id, metric, period_start) do update
              set used = c.used + 1, base_limit = excluded.base_limit
              where c.used + 1 <= excluded.base_limit + c.extra
            returning c.used, c.base_limit + c.extra as lim into t;
        end if;
        if not found then
          -- Refused for the quota: the run goes again (the caller records the refusal with its reasons and
          -- offers); what the counter says now comes back for the message.
          delete from agent_run r where r.id = v_id;
          select c.used, c.base_limit + c.extra into used, quota_limit from usage_counter c
            where c.space_id = v_space and c.metric = 'runs' and c.period_start = (s->>'period_start')::timestamptz;
          outcome := 'quota'; return next; continue;
        end if;
        used := t.used; quota_limit := t.lim; run_id := v_id;
        jobs := jobs || row('runs.execute-run', json_build_object('spaceId', v_space, 'runId', v_id), null, null,
          (s->>'max_attempts')::smallint, null, (s->>'priority')::smallint, null)::graphile_worker.job_spec;
        outcome := 'queued'; return next;
      end loop;
      -- One add_jobs for the batch: one NOTIFY.
      if cardinality(jobs) > 0 then perform graphile_worker.add_jobs(jobs); end if;
    end $fn$;
    revoke all on function app_admit_runs(jsonb) from public;

    -- The scheduler takes due agents in next_run_at order: only enabled agents with a next run are in it.
    create index agent_next_run_idx on agent (next_run_at) where next_run_at is not null and enabled;

    -- Autovacuum per table. The defaults (vacuum after 50 + 20% of the table has changed, throttled by
    -- cost_delay) suit tables that change slowly; these change with every run:
    -- * the job table: every job is inserted, locked (update) and deleted: two dead tuples per run on a table
    --   of a few hundred live rows, read by every get_job. Vacuum it after 1,000 dead tuples, unthrottled.
    alter table graphile_worker._private_jobs set (
      autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
      autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000);
    -- * runs: inserted, claimed, finished (two updated versions per run) in a table that only grows; 20% of
    --   a history of millions would let hundreds of thousands of dead tuples build up before a vacuum.
    --   No query reads agent_run by status (the claim goes by id), and the partial index on status made
    --   both updates of every run non-HOT: each wrote a new entry into all of its indexes. Without it, and
    --   with room left on each page (fillfactor 85), the finish is a HOT update (the claim is not: it sets
    --   started_at, which agent_run_started_idx of the operators' console indexes).
    drop index agent_run_active_idx;
    alter table agent_run set (
      fillfactor = 85, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 1,
      autovacuum_analyze_scale_factor = 0.02);
    -- * steps are only inserted (updated on a retried step): vacuum for the visibility map more often, for index-only scans.
    alter table run_step set (autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_vacuum_insert_threshold = 10000);
    -- * the quota counter: one row per space and month, updated by every run; free space on each page lets
    --   the updates stay HOT (no index change) and be pruned without a vacuum.
    alter table usage_counter set (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 500);
    -- * agents: next_run_at moves at every scheduled fire.
    alter table agent set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the run engine tuning migration cannot be reverted');
}
