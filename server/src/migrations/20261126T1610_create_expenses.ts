import { type Kysely, sql } from 'kysely';

// The expenses app: a ledger of what the person spent, entered by hand or from a receipt (an
// uploaded file or an indexed email). One receipt makes at most one expense.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table expense (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      spent_on date not null,
      merchant text not null,
      amount bigint not null,
      currency text not null,
      category text not null,
      note text not null default '',
      source text not null default 'manual',
      source_file_id uuid references uploaded_file (id) on delete set null,
      source_message_id uuid references mail_message (id) on delete set null,
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      source_suggestion_id uuid references suggestion (id) on delete set null,
      idempotency_key text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint expense_idempotency_key unique (space_id, idempotency_key),
      constraint expense_source_check check (source in ('manual', 'file', 'email')),
      constraint expense_visibility_check check (visibility in ('shared', 'private')),
      constraint expense_amount_check check (amount >= 0)
    );
    create index expense_space_idx on expense (space_id, spent_on desc);
    create unique index expense_file_key on expense (space_id, source_file_id) where source_file_id is not null;
    create unique index expense_message_key on expense (space_id, source_message_id) where source_message_id is not null;

    select csme_enable_tenant_rls('expense', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the expenses migration cannot be reverted');
}
