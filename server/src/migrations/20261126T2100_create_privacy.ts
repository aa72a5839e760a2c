import { type Kysely, sql } from 'kysely';

// Privacy and control: exports (one archive per request, a single-use download link), account
// deletions (a grace period, then steps recorded one by one so a crash resumes where it stopped),
// a person's redaction patterns, and the signed checkpoints the activity chain verifies from once
// retention has purged its oldest entries. Export and deletion rows belong to an account, not to a
// space (an export spans the person's spaces; a deletion outlives the account), so they carry no
// space_id and are only reached through system transactions filtered by account.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table privacy_export (
      id uuid primary key,
      account_id uuid not null references account (id) on delete cascade,
      status text not null default 'queued',
      progress_done integer not null default 0,
      progress_total integer not null default 0,
      file_name text,
      size_bytes bigint,
      counts jsonb not null default '{}',
      error text,
      link_hash bytea,
      link_expires_at timestamptz,
      downloaded_at timestamptz,
      expires_at timestamptz,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      constraint privacy_export_status_check check (status in ('queued', 'running', 'ready', 'failed', 'expired'))
    );
    create index privacy_export_account_idx on privacy_export (account_id, created_at desc);
    create unique index privacy_export_link_key on privacy_export (link_hash) where link_hash is not null;

    -- account_id has no foreign key on purpose: the row (and its report, which holds no personal data)
    -- outlives the account it deleted.
    create table privacy_deletion (
      id uuid primary key,
      account_id uuid not null,
      status text not null,
      requested_at timestamptz not null,
      execute_after timestamptz not null,
      cancelled_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      steps_done text[] not null default '{}',
      report jsonb,
      report_token_hash bytea,
      constraint privacy_deletion_status_check check (status in ('scheduled', 'cancelled', 'running', 'done'))
    );
    create unique index privacy_deletion_live_key on privacy_deletion (account_id) where status in ('scheduled', 'running');
    create index privacy_deletion_due_idx on privacy_deletion (execute_after) where status = 'scheduled';

    create table privacy_redaction (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null default 'private',
      label text not null,
      pattern text not null,
      created_at timestamptz not null default now(),
      constraint privacy_redaction_visibility_check check (visibility in ('shared', 'private'))
    );
    create index privacy_redaction_space_idx on privacy_redaction (space_id);
    select csme_enable_tenant_rls('privacy_redaction', true);

    create table activity_checkpoint (
      space_id uuid primary key references space (id) on delete cascade,
      seq bigint not null,
      hash text not null,
      signature text not null,
      purged_before timestamptz not null,
      created_at timestamptz not null default now()
    );
    select csme_enable_tenant_rls('activity_checkpoint', false);
  `.execute(db);

  // Ledger entries and payouts are kept by law when a creator deletes their account: anonymised, so
  // the link to the account becomes null instead of blocking the deletion.
  await sql`
    alter table ledger_entry alter column creator_account_id drop not null;
    alter table ledger_entry drop constraint ledger_entry_creator_account_id_fkey;
    alter table ledger_entry add constraint ledger_entry_creator_account_id_fkey foreign key (creator_account_id) references account (id) on delete set null;
    alter table payout alter column creator_account_id drop not null;
    alter table payout drop constraint payout_creator_account_id_fkey;
    alter table payout add constraint payout_creator_account_id_fkey foreign key (creator_account_id) references account (id) on delete set null;
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the privacy migration cannot be reverted');
}
