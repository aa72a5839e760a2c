import { type Kysely, sql } from 'kysely';

// The invoices app: the person's invoices to their own clients (not the platform's billing invoices,
// which live in `invoice`). Numbers are per space and gapless: a counter row per space is incremented
// in the issuing transaction, so a rolled-back issue gives its number back and concurrent issuers queue
// on the row lock. A draft gets its number when it is first issued or sent and keeps it from then on
// (a numbered invoice cannot be deleted, so no number is ever lost).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table client_invoice_counter (
      space_id uuid primary key references space (id) on delete cascade,
      last_number integer not null
    );

    create table invoice_profile (
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null default 'private',
      business_name text not null default '',
      details text not null default '',
      email text not null default '',
      currency text not null default 'USD',
      tax_rate numeric(7, 4) not null default 0,
      payment_days integer not null default 14,
      language text not null default 'en',
      updated_at timestamptz not null default now(),
      constraint invoice_profile_pkey primary key (space_id, owner_account_id),
      constraint invoice_profile_language_check check (language in ('en', 'he'))
    );

    create table client_invoice (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      number integer,
      status text not null default 'draft',
      language text not null default 'en',
      client_contact_id uuid,
      client_name text not null,
      client_email text not null default '',
      client_details text not null default '',
      seller_name text not null default '',
      seller_details text not null default '',
      currency text not null,
      lines jsonb not null,
      tax_rate numeric(7, 4) not null default 0,
      discount_rate numeric(7, 4) not null default 0,
      subtotal bigint not null,
      discount bigint not null,
      tax bigint not null,
      total bigint not null,
      issue_date date,
      due_date date,
      notes text not null default '',
      sent_at timestamptz,
      sent_to text,
      sent_message_id text,
      paid_at timestamptz,
      overdue_at timestamptz,
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      source_suggestion_id uuid references suggestion (id) on delete set null,
      idempotency_key text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint client_invoice_number_key unique (space_id, number),
      constraint client_invoice_idempotency_key unique (space_id, idempotency_key),
      constraint client_invoice_status_check check (status in ('draft', 'sent', 'paid', 'overdue')),
      constraint client_invoice_language_check check (language in ('en', 'he')),
      constraint client_invoice_visibility_check check (visibility in ('shared', 'private')),
      constraint client_invoice_issued_check check (status = 'draft' or number is not null)
    );
    create index client_invoice_space_idx on client_invoice (space_id, created_at desc);
    create index client_invoice_due_idx on client_invoice (status, due_date) where status = 'sent';

    select csme_enable_tenant_rls('client_invoice_counter', false);
    select csme_enable_tenant_rls('invoice_profile', true);
    select csme_enable_tenant_rls('client_invoice', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the invoices migration cannot be reverted');
}
