import { type Kysely, sql } from 'kysely';

// Frozen once merged. Model providers a person brings (their own key), metered model calls, and
// "local engine only" for a whole space.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table model_credential (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null default 'private',
      provider text not null,
      base_url text,
      model text not null,
      azure_resource text,
      azure_api_version text,
      api_key bytea not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint model_credential_owner_key unique (space_id, owner_account_id),
      constraint model_credential_provider_check check (provider in ('openai', 'azure', 'openai-compatible'))
    );

    create table model_call (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null,
      run_id uuid references agent_run (id) on delete set null,
      agent_id uuid references agent (id) on delete set null,
      pack_id text,
      source text not null,
      provider text not null,
      model text not null,
      purpose text not null,
      tokens_in integer not null default 0,
      tokens_out integer not null default 0,
      latency_ms integer not null default 0,
      cost_micros bigint not null default 0,
      ok boolean not null,
      error text,
      at timestamptz not null default now(),
      constraint model_call_source_check check (source in ('operator', 'personal'))
    );
    create index model_call_space_at_idx on model_call (space_id, at desc);
    create index model_call_at_idx on model_call (at);

    alter table space add column local_only boolean not null default false;

    select csme_enable_tenant_rls('model_credential', true);
    select csme_enable_tenant_rls('model_call', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('this migration cannot be reverted');
}
