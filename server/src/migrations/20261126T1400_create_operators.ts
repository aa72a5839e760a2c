import { type Kysely, sql } from 'kysely';

// Frozen once merged. What the operators' side needs: a person's consent to operator access
// (impersonation) and the sessions it opens, the experimentation lab (opt-out per space, the variant
// each run used, promoted winners), and promotions of installed packs to connectsoft.io.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- A session an operator opened as this person, with their consent; null for the person's own.
    alter table session add column impersonator_account_id uuid references account (id) on delete cascade;
    create index session_impersonator_idx on session (impersonator_account_id) where impersonator_account_id is not null;

    -- A person's consent to operator access: time-limited, revocable, one live grant at a time.
    create table support_access (
      id uuid primary key,
      account_id uuid not null references account (id) on delete cascade,
      granted_at timestamptz not null,
      expires_at timestamptz not null,
      revoked_at timestamptz,
      constraint support_access_window_check check (expires_at > granted_at)
    );
    create index support_access_account_idx on support_access (account_id, expires_at desc);

    -- Spaces that opted out of the lab: never assigned to an experiment, never in a figure.
    create table lab_opt_out (
      space_id uuid primary key references space (id) on delete cascade,
      opted_out_at timestamptz not null,
      by_account_id uuid references account (id) on delete set null
    );

    -- The variant an operator promoted: the default for every space from then on.
    create table lab_winner (
      pack_id text not null,
      agent_key text not null,
      variant text not null,
      promoted_at timestamptz not null,
      promoted_by uuid references account (id) on delete set null,
      constraint lab_winner_pkey primary key (pack_id, agent_key)
    );

    -- The variant a run executed (null: the agent as declared).
    alter table agent_run add column variant text;
    create index agent_run_started_idx on agent_run (started_at) where started_at is not null;
    create index model_call_run_idx on model_call (run_id) where run_id is not null;
    create index invoice_paid_idx on invoice (paid_at) where status = 'paid';

    -- An installed pack promoted to an organisational workflow: the document (json: kept byte for byte, as hashed and sent), and where sending it stands.
    create table promotion (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null,
      installation_id uuid references pack_installation (id) on delete set null,
      pack_id text not null,
      pack_name text not null,
      document json not null,
      document_sha256 text not null,
      state text not null,
      endpoint text,
      attempts integer not null default 0,
      last_error text,
      remote_ref text,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      sent_at timestamptz,
      constraint promotion_state_check check (state in ('exported', 'queued', 'sent', 'failed')),
      constraint promotion_visibility_check check (visibility in ('shared', 'private'))
    );
    create index promotion_space_idx on promotion (space_id, created_at desc);
  `.execute(db);
  await sql`
    select csme_enable_tenant_rls('lab_opt_out', false);
    select csme_enable_tenant_rls('promotion', true);
    grant select on lab_winner to csme_app;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table promotion;
    drop index invoice_paid_idx;
    drop index model_call_run_idx;
    drop index agent_run_started_idx;
    alter table agent_run drop column variant;
    drop table lab_winner;
    drop table lab_opt_out;
    drop table support_access;
    drop index session_impersonator_idx;
    alter table session drop column impersonator_account_id;
  `.execute(db);
}
