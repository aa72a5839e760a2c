import { type Kysely, sql } from 'kysely';

// Frozen once merged. Packs, agents, runs, steps, events, suggestions, the activity log,
// the tasks app and notifications (the run engine of ARCHITECTURE.md "The way a run flows").

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table pack_version (
      id uuid primary key,
      pack_id text not null,
      version text not null,
      manifest jsonb not null,
      files jsonb not null default '{}',
      bundle_sha256 text not null,
      signature text,
      source text not null,
      publisher_account_id uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      constraint pack_version_pack_version_key unique (pack_id, version),
      constraint pack_version_source_check check (source in ('builtin', 'marketplace', 'import'))
    );

    create table pack_installation (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      pack_id text not null,
      pack_version_id uuid not null references pack_version (id),
      status text not null default 'active',
      paused_reason text,
      settings jsonb not null default '{}',
      granted_scopes text[] not null default '{}',
      local_only boolean not null default false,
      created_by uuid references account (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      uninstalled_at timestamptz,
      constraint pack_installation_visibility_check check (visibility in ('shared', 'private')),
      constraint pack_installation_status_check check (status in ('active', 'paused', 'uninstalled'))
    );
    create unique index pack_installation_live_key on pack_installation
      (space_id, pack_id, (case when visibility = 'private' then owner_account_id end)) where status <> 'uninstalled';
    create index pack_installation_space_idx on pack_installation (space_id);

    create table agent (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      installation_id uuid not null references pack_installation (id) on delete cascade,
      agent_key text not null,
      enabled boolean not null default false,
      disabled_reason text,
      policies jsonb not null default '{}',
      event_types text[] not null default '{}',
      schedule jsonb,
      next_run_at timestamptz,
      webhook_token_hash bytea,
      webhook_secret bytea,
      store_payloads boolean not null default true,
      history_days integer,
      variant text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint agent_installation_key unique (installation_id, agent_key),
      constraint agent_webhook_token_hash_key unique (webhook_token_hash),
      constraint agent_visibility_check check (visibility in ('shared', 'private'))
    );
    create index agent_space_idx on agent (space_id);
    create index agent_event_types_idx on agent using gin (event_types) where enabled;

    create table agent_run (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      agent_id uuid not null references agent (id) on delete cascade,
      installation_id uuid not null references pack_installation (id) on delete cascade,
      trigger_kind text not null,
      trigger_key text not null,
      trigger_data jsonb not null default '{}',
      status text not null,
      refused_reason text,
      reason_text text,
      error text,
      priority integer not null default 0,
      queued_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      attempts integer not null default 0,
      step_count integer not null default 0,
      tokens_in integer not null default 0,
      tokens_out integer not null default 0,
      cost_micros bigint not null default 0,
      cancel_requested_at timestamptz,
      quota_period_start timestamptz,
      created_by_account_id uuid references account (id) on delete set null,
      constraint agent_run_trigger_key unique (agent_id, trigger_key),
      constraint agent_run_trigger_kind_check check (trigger_kind in ('schedule', 'event', 'webhook', 'manual')),
      constraint agent_run_status_check check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'refused')),
      constraint agent_run_visibility_check check (visibility in ('shared', 'private'))
    );
    create index agent_run_space_queued_idx on agent_run (space_id, queued_at desc, id desc);
    create index agent_run_agent_queued_idx on agent_run (agent_id, queued_at desc);
    create index agent_run_active_idx on agent_run (status) where status in ('queued', 'running');

    create table run_step (
      run_id uuid not null references agent_run (id) on delete cascade,
      idx integer not null,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      step_key text not null,
      kind text not null,
      name text not null,
      status text not null,
      input jsonb,
      output jsonb,
      error text,
      started_at timestamptz not null,
      finished_at timestamptz,
      tokens_in integer not null default 0,
      tokens_out integer not null default 0,
      cost_micros bigint not null default 0,
      constraint run_step_pkey primary key (run_id, idx),
      constraint run_step_kind_check check (kind in ('skill', 'model', 'code')),
      constraint run_step_status_check check (status in ('running', 'succeeded', 'failed', 'skipped'))
    );

    create table agent_event (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      type text not null,
      source text not null,
      dedupe_key text not null,
      data jsonb not null default '{}',
      created_at timestamptz not null default now(),
      dispatched_at timestamptz,
      constraint agent_event_dedupe_key unique (space_id, type, dedupe_key)
    );
    create index agent_event_created_idx on agent_event (space_id, created_at desc);

    create table suggestion (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      agent_id uuid references agent (id) on delete cascade,
      run_id uuid references agent_run (id) on delete set null,
      skill_id text not null,
      action_type text not null,
      external boolean not null default false,
      title text not null,
      summary text not null,
      action jsonb not null,
      action_hash text not null,
      status text not null,
      auto boolean not null default false,
      edited boolean not null default false,
      approved_by uuid references account (id) on delete set null,
      approved_at timestamptz,
      approved_hash text,
      decided_by uuid references account (id) on delete set null,
      decided_at timestamptz,
      reject_reason text,
      expires_at timestamptz not null,
      idempotency_key text not null,
      attempts integer not null default 0,
      result jsonb,
      error text,
      executed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint suggestion_idempotency_key_key unique (idempotency_key),
      constraint suggestion_status_check check (status in ('pending', 'approved', 'executing', 'done', 'failed', 'unknown', 'rejected', 'expired', 'dismissed'))
    );
    create index suggestion_space_status_idx on suggestion (space_id, status, created_at desc);
    create index suggestion_run_idx on suggestion (run_id);
    create index suggestion_pending_expiry_idx on suggestion (expires_at) where status = 'pending';

    create table activity (
      space_id uuid not null references space (id) on delete cascade,
      seq bigint not null,
      id uuid not null,
      at timestamptz not null,
      owner_account_id uuid,
      visibility text not null,
      actor_kind text not null,
      actor_account_id uuid,
      agent_id uuid,
      kind text not null,
      object_type text,
      object_id uuid,
      summary text not null,
      data jsonb not null default '{}',
      prev_hash text not null,
      hash text not null,
      constraint activity_pkey primary key (space_id, seq),
      constraint activity_id_key unique (id),
      constraint activity_actor_kind_check check (actor_kind in ('person', 'agent', 'system', 'operator'))
    );
    create index activity_space_at_idx on activity (space_id, at desc);

    create table activity_head (
      space_id uuid primary key references space (id) on delete cascade,
      seq bigint not null,
      hash text not null
    );

    create table task (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      title text not null,
      notes text not null default '',
      due_at timestamptz,
      priority text not null default 'normal',
      status text not null default 'open',
      completed_at timestamptz,
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      source_suggestion_id uuid references suggestion (id) on delete set null,
      idempotency_key text,
      updated_by uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint task_idempotency_key unique (space_id, idempotency_key),
      constraint task_priority_check check (priority in ('high', 'normal', 'low')),
      constraint task_status_check check (status in ('open', 'done'))
    );
    create index task_space_status_idx on task (space_id, status, due_at);

    create table notification (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null default 'private',
      kind text not null,
      title text not null,
      body text not null default '',
      url text,
      data jsonb not null default '{}',
      read_at timestamptz,
      created_at timestamptz not null default now()
    );
    create index notification_owner_idx on notification (owner_account_id, created_at desc);

    create table push_subscription (
      id uuid primary key,
      account_id uuid not null references account (id) on delete cascade,
      endpoint text not null,
      p256dh text not null,
      auth text not null,
      user_agent text,
      created_at timestamptz not null default now(),
      last_success_at timestamptz,
      failures integer not null default 0,
      constraint push_subscription_endpoint_key unique (endpoint)
    );

    create table notification_preference (
      account_id uuid primary key references account (id) on delete cascade,
      prefs jsonb not null,
      updated_at timestamptz not null default now()
    );
  `.execute(db);

  await sql`
    select csme_enable_tenant_rls('pack_installation', true);
    select csme_enable_tenant_rls('agent', true);
    select csme_enable_tenant_rls('agent_run', true);
    select csme_enable_tenant_rls('run_step', true);
    select csme_enable_tenant_rls('agent_event', true);
    select csme_enable_tenant_rls('suggestion', true);
    select csme_enable_tenant_rls('task', true);
    select csme_enable_tenant_rls('notification', true);
    select csme_enable_tenant_rls('activity_head', false);
    grant select on pack_version to csme_app;
  `.execute(db);
  // The activity log: shared entries and one's own private ones; append-only for csme_app (no update, no delete).
  await sql`
    alter table activity enable row level security;
    alter table activity force row level security;
    create policy tenant_isolation on activity to csme_app
      using (space_id = app_space_id() and (visibility = 'shared' or owner_account_id = app_account_id()))
      with check (space_id = app_space_id());
    create policy system_access on activity to current_user using (true) with check (true);
    grant select, insert on activity to csme_app;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the runtime migration cannot be reverted');
}
