import { type Kysely, sql } from 'kysely';

// Frozen once merged. Billing: what a space buys and owes. Subscriptions learn about past-due and
// trials; invoices are numbered per instance and kept by law; scheduled changes take effect at the
// end of a period; provider events are stored once (unique event id) before they are processed.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table subscription
      add column trial_end timestamptz,
      add column past_due_since timestamptz,
      add column restricted_at timestamptz;
    create index subscription_provider_ref_idx on subscription (provider, provider_ref) where provider_ref is not null;
    create index subscription_period_end_idx on subscription (current_period_end) where ended_at is null;

    -- Who pays for a space: the billing country (for tax), the currency, the provider's customer id.
    create table billing_profile (
      space_id uuid primary key references space (id) on delete cascade,
      country text,
      currency text,
      provider text,
      provider_customer_ref text,
      trial_used_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint billing_profile_country_check check (country is null or country ~ '^[A-Z]{2}$'),
      constraint billing_profile_currency_check check (currency is null or currency in ('USD', 'ILS'))
    );

    -- Invoice numbers per instance and year, without gaps (a row lock, not a sequence).
    create table billing_counter (
      key text primary key,
      value bigint not null
    );

    -- Invoices and receipts. KEPT BY LAW: an invoice outlives the space it was issued to (space_id
    -- becomes null, the buyer's name, email and country stay on the row), and the privacy deletion
    -- keeps every row with kept_by_law = true until retain_until.
    create table invoice (
      id uuid primary key,
      space_id uuid references space (id) on delete set null,
      number text not null,
      status text not null,
      kind text not null,
      currency text not null,
      subtotal integer not null,
      tax_basis_points integer not null default 0,
      tax integer not null default 0,
      total integer not null,
      lines jsonb not null,
      country text,
      buyer_name text not null,
      buyer_email text not null,
      period_start timestamptz,
      period_end timestamptz,
      action jsonb,
      provider text not null,
      provider_ref text,
      issued_at timestamptz not null,
      due_at timestamptz,
      paid_at timestamptz,
      voided_at timestamptz,
      paid_by_account_id uuid references account (id) on delete set null,
      kept_by_law boolean not null default true,
      retain_until timestamptz,
      created_at timestamptz not null default now(),
      constraint invoice_number_key unique (number),
      constraint invoice_status_check check (status in ('open', 'paid', 'void')),
      constraint invoice_kind_check check (kind in ('subscription', 'change', 'renewal', 'extra_runs', 'addon')),
      constraint invoice_currency_check check (currency in ('USD', 'ILS')),
      constraint invoice_amounts_check check (subtotal >= 0 and tax >= 0 and total = subtotal + tax)
    );
    create unique index invoice_provider_ref_key on invoice (provider, provider_ref) where provider_ref is not null;
    create index invoice_space_idx on invoice (space_id, issued_at desc, id desc);
    create index invoice_open_idx on invoice (issued_at) where status = 'open';
    comment on column invoice.kept_by_law is 'Kept by law: deletion of a space or account must preserve this row until retain_until.';

    -- A change that takes effect at the end of a period: downgrade, yearly to monthly, cancel,
    -- or an operator's migration to a newer plan version. One pending change per subscription.
    create table scheduled_change (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      subscription_id uuid not null references subscription (id) on delete cascade,
      kind text not null,
      to_plan_id text references plan (id),
      to_plan_version_id uuid references plan_version (id),
      to_interval text,
      to_space_id uuid references space (id) on delete cascade,
      effective_at timestamptz not null,
      status text not null default 'pending',
      provider_synced_at timestamptz,
      created_by_account_id uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      applied_at timestamptz,
      constraint scheduled_change_kind_check check (kind in ('downgrade', 'interval', 'cancel', 'version_migration')),
      constraint scheduled_change_status_check check (status in ('pending', 'applied', 'canceled')),
      constraint scheduled_change_interval_check check (to_interval is null or to_interval in ('month', 'year'))
    );
    create unique index scheduled_change_pending_key on scheduled_change (subscription_id) where status = 'pending';
    create index scheduled_change_due_idx on scheduled_change (effective_at) where status = 'pending';

    -- Payment provider events, each stored once (unique per provider) and processed by a job.
    -- Only the event's type and the id of its object are kept: current state is fetched from the provider.
    create table billing_event (
      id uuid primary key,
      provider text not null,
      event_id text not null,
      type text not null,
      object_id text,
      status text not null default 'pending',
      attempts integer not null default 0,
      error text,
      received_at timestamptz not null,
      processed_at timestamptz,
      constraint billing_event_provider_event_key unique (provider, event_id),
      constraint billing_event_status_check check (status in ('pending', 'processed', 'ignored', 'failed'))
    );
  `.execute(db);
  await sql`
    select csme_enable_tenant_rls('billing_profile', false);
    select csme_enable_tenant_rls('invoice', false);
    select csme_enable_tenant_rls('scheduled_change', false);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop table billing_event;
    drop table scheduled_change;
    drop table invoice;
    drop table billing_counter;
    drop table billing_profile;
    drop index subscription_period_end_idx;
    drop index subscription_provider_ref_idx;
    alter table subscription drop column restricted_at, drop column past_due_since, drop column trial_end;
  `.execute(db);
}
