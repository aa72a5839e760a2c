import { type Kysely, sql } from 'kysely';

// Frozen once merged: add a new migration instead of editing this one.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'csme_app') then
        create role csme_app nologin nobypassrls;
      end if;
    end $$;
  `.execute(db);
  // The owner must be a member of csme_app to drop into it with SET ROLE.
  await sql`do $$ begin execute format('grant csme_app to %I', current_user); exception when others then null; end $$;`.execute(db);
  await sql`grant usage on schema public to csme_app`.execute(db);

  await sql`
    create function app_space_id() returns uuid language sql stable as
      $$ select nullif(current_setting('app.space_id', true), '')::uuid $$;
    create function app_account_id() returns uuid language sql stable as
      $$ select nullif(current_setting('app.account_id', true), '')::uuid $$;

    -- Row Level Security for a tenant table. Rows are visible to csme_app only in the space
    -- of the transaction and, where the table has visibility, only if shared or owned by its account.
    -- The owner role gets an explicit policy, because the tables are FORCE'd.
    create function csme_enable_tenant_rls(tbl regclass, has_visibility boolean) returns void language plpgsql as $fn$
    declare cond text;
    begin
      if has_visibility then
        cond := 'space_id = app_space_id() and (visibility = ''shared'' or owner_account_id = app_account_id())';
      else
        cond := 'space_id = app_space_id()';
      end if;
      execute format('alter table %s enable row level security', tbl);
      execute format('alter table %s force row level security', tbl);
      execute format('create policy tenant_isolation on %s to csme_app using (%s) with check (%s)', tbl, cond, cond);
      execute format('create policy system_access on %s to %I using (true) with check (true)', tbl, current_user);
      execute format('grant select, insert, update, delete on %s to csme_app', tbl);
    end $fn$;

    -- Jobs are added inside our own transactions, also tenant ones: csme_app may call this and nothing else of the queue.
    create function app_add_job(
      identifier text, payload json, run_at timestamptz default null, max_attempts int default null,
      job_key text default null, priority int default null, queue_name text default null, job_key_mode text default null
    ) returns bigint language plpgsql security definer set search_path = pg_catalog, public as $fn$
    declare j record;
    begin
      select * into j from graphile_worker.add_job(identifier, payload, queue_name, run_at, max_attempts, job_key, priority, null, coalesce(job_key_mode, 'replace'));
      return j.id;
    end $fn$;
    revoke all on function app_add_job(text, json, timestamptz, int, text, int, text, text) from public;
    grant execute on function app_add_job(text, json, timestamptz, int, text, int, text, text) to csme_app;
  `.execute(db);

  await sql`
    create table account (
      id uuid primary key,
      email text not null,
      email_normalized text not null,
      display_name text not null,
      password_hash text not null,
      locale text not null default 'en',
      time_zone text not null default 'UTC',
      is_operator boolean not null default false,
      email_verified_at timestamptz,
      totp_secret bytea,
      totp_pending_secret bytea,
      totp_enabled_at timestamptz,
      suspended_at timestamptz,
      personal_space_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint account_email_normalized_key unique (email_normalized),
      constraint account_locale_check check (locale in ('en', 'he'))
    );

    create table space (
      id uuid primary key,
      kind text not null,
      name text not null,
      owner_account_id uuid not null references account (id),
      status text not null default 'active',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint space_kind_check check (kind in ('personal', 'family')),
      constraint space_status_check check (status in ('active', 'read_only', 'deleting'))
    );
    create index space_owner_account_id_idx on space (owner_account_id);
    alter table account add constraint account_personal_space_id_fkey foreign key (personal_space_id) references space (id) deferrable initially deferred;

    create table membership (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      account_id uuid not null references account (id) on delete cascade,
      role text not null,
      created_at timestamptz not null default now(),
      constraint membership_space_account_key unique (space_id, account_id),
      constraint membership_role_check check (role in ('owner', 'adult', 'child'))
    );
    create index membership_account_id_idx on membership (account_id);

    create table session (
      id uuid primary key,
      token_hash bytea not null,
      account_id uuid not null references account (id) on delete cascade,
      active_space_id uuid not null references space (id) on delete cascade,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ip text,
      user_agent text,
      constraint session_token_hash_key unique (token_hash)
    );
    create index session_account_id_idx on session (account_id);

    create table account_token (
      id uuid primary key,
      account_id uuid not null references account (id) on delete cascade,
      purpose text not null,
      token_hash bytea not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now(),
      constraint account_token_token_hash_key unique (token_hash),
      constraint account_token_purpose_check check (purpose in ('verify_email', 'password_reset'))
    );
    create index account_token_account_id_idx on account_token (account_id);

    create table rate_limit (
      key text primary key,
      window_start timestamptz not null,
      count integer not null,
      blocked_until timestamptz
    );

    create table email_outbox (
      id uuid primary key,
      account_id uuid references account (id) on delete cascade,
      space_id uuid references space (id) on delete cascade,
      to_address text not null,
      subject text not null,
      body_text text not null,
      body_html text,
      kind text not null,
      status text not null default 'queued',
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      constraint email_outbox_status_check check (status in ('queued', 'sent', 'captured', 'failed'))
    );
    create index email_outbox_account_id_idx on email_outbox (account_id);
    create index email_outbox_created_at_idx on email_outbox (created_at desc);

    create table instance_setting (
      key text primary key,
      value jsonb not null,
      updated_at timestamptz not null default now(),
      updated_by uuid references account (id) on delete set null
    );

    create table data_key (
      id uuid primary key,
      space_id uuid references space (id) on delete cascade,
      master_key_id text not null,
      wrapped bytea not null,
      created_at timestamptz not null default now(),
      rewrapped_at timestamptz
    );
    create unique index data_key_space_id_key on data_key (space_id) where space_id is not null;
    create unique index data_key_instance_key on data_key ((space_id is null)) where space_id is null;
    create index data_key_master_key_id_idx on data_key (master_key_id);

    create table plan (
      id text primary key,
      kind text not null,
      name text not null,
      sort integer not null,
      constraint plan_kind_check check (kind in ('base', 'addon'))
    );

    create table plan_version (
      id uuid primary key,
      plan_id text not null references plan (id),
      version integer not null,
      limits jsonb not null,
      prices jsonb not null,
      note text,
      created_at timestamptz not null default now(),
      created_by uuid references account (id) on delete set null,
      constraint plan_version_plan_version_key unique (plan_id, version)
    );

    create table subscription (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      plan_id text not null references plan (id),
      plan_version_id uuid not null references plan_version (id),
      kind text not null,
      status text not null,
      billing_interval text,
      currency text,
      quota_anchor timestamptz not null,
      current_period_start timestamptz not null,
      current_period_end timestamptz,
      cancel_at_period_end boolean not null default false,
      provider text not null default 'none',
      provider_ref text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      ended_at timestamptz,
      constraint subscription_kind_check check (kind in ('base', 'addon')),
      constraint subscription_status_check check (status in ('trialing', 'active', 'past_due', 'canceled')),
      constraint subscription_interval_check check (billing_interval is null or billing_interval in ('month', 'year'))
    );
    create unique index subscription_live_base_key on subscription (space_id) where kind = 'base' and ended_at is null;
    create unique index subscription_live_addon_key on subscription (space_id, plan_id) where kind = 'addon' and ended_at is null;

    create table usage_counter (
      space_id uuid not null references space (id) on delete cascade,
      metric text not null,
      period_start timestamptz not null,
      period_end timestamptz not null,
      used integer not null default 0,
      base_limit integer not null,
      extra integer not null default 0,
      notified_percent integer not null default 0,
      constraint usage_counter_pkey primary key (space_id, metric, period_start)
    );

    create table worker_node (
      id text primary key,
      role text not null,
      hostname text not null,
      pid integer not null,
      worker_ids text[] not null default '{}',
      started_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now()
    );
  `.execute(db);

  // Tenant tables: csme_app sees them only through its space.
  await sql`
    select csme_enable_tenant_rls('membership', false);
    select csme_enable_tenant_rls('subscription', false);
    select csme_enable_tenant_rls('usage_counter', false);
  `.execute(db);
  // The space row: a tenant transaction may read its own space, nothing else.
  await sql`
    alter table space enable row level security;
    alter table space force row level security;
    create policy tenant_isolation on space for select to csme_app using (id = app_space_id());
    create policy system_access on space to current_user using (true) with check (true);
    grant select on space to csme_app;
    grant select (id, display_name, email, locale, time_zone) on account to csme_app;
    grant select on plan, plan_version to csme_app;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the foundation migration cannot be reverted');
}
