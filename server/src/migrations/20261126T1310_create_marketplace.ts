import { type Kysely, sql } from 'kysely';

// Frozen once merged. The marketplace: creator profiles, listings and their screenshots, submitted
// versions and their review, purchases (a space's, under RLS), the ledger (instance-level: creators
// read their own entries, which never name the buyer), monthly payouts, ratings and reviews, and the
// reasons people give when they uninstall. Billing invoices learn the kind `sale` (a pack purchase).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table creator_profile (
      account_id uuid primary key references account (id) on delete cascade,
      display_name text not null,
      bio text not null default '',
      payout_method text,
      payout_details bytea,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint creator_profile_payout_method_check check (payout_method is null or payout_method in ('bank', 'paypal', 'other'))
    );

    create table listing (
      pack_id text primary key,
      creator_account_id uuid not null references account (id),
      title text not null,
      tagline text not null default '',
      description_md text not null default '',
      persona text not null,
      categories text[] not null default '{}',
      price_model text not null default 'free',
      price_usd integer not null default 0,
      price_ils integer not null default 0,
      status text not null default 'draft',
      first_listed_at timestamptz,
      unlisted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint listing_price_model_check check (price_model in ('free', 'one_off', 'monthly')),
      constraint listing_status_check check (status in ('draft', 'listed', 'unlisted')),
      constraint listing_price_check check (
        (price_model = 'free' and price_usd = 0 and price_ils = 0) or (price_model <> 'free' and price_usd > 0 and price_ils > 0)
      )
    );
    create index listing_creator_idx on listing (creator_account_id);

    create table listing_screenshot (
      id uuid primary key,
      pack_id text not null references listing (pack_id) on delete cascade,
      content_type text not null,
      bytes bytea not null,
      caption text not null default '',
      sort integer not null default 0,
      created_at timestamptz not null default now(),
      constraint listing_screenshot_type_check check (content_type in ('image/png', 'image/jpeg', 'image/webp'))
    );
    create index listing_screenshot_pack_idx on listing_screenshot (pack_id, sort);

    create table pack_submission (
      id uuid primary key,
      pack_id text not null,
      version text not null,
      creator_account_id uuid references account (id) on delete set null,
      origin text not null default 'publish',
      manifest jsonb not null,
      files jsonb not null,
      bundle_sha256 text not null,
      changelog text not null default '',
      status text not null default 'pending',
      checks jsonb not null default '[]',
      added_scopes text[] not null default '{}',
      reasons text,
      auto_approved boolean not null default false,
      reviewed_by uuid references account (id) on delete set null,
      reviewed_at timestamptz,
      pack_version_id uuid references pack_version (id),
      created_at timestamptz not null default now(),
      constraint pack_submission_status_check check (status in ('pending', 'approved', 'rejected')),
      constraint pack_submission_origin_check check (origin in ('publish', 'import'))
    );
    create unique index pack_submission_version_key on pack_submission (pack_id, version) where status <> 'rejected';
    create index pack_submission_pending_idx on pack_submission (created_at) where status = 'pending';
    create index pack_submission_creator_idx on pack_submission (creator_account_id, created_at desc);

    -- A space's purchase of a paid pack (one-off, or monthly while paid). Kept under RLS: it names the buyer's space.
    create table pack_purchase (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      account_id uuid references account (id) on delete set null,
      pack_id text not null references listing (pack_id),
      price_model text not null,
      currency text not null,
      amount integer not null,
      status text not null default 'pending',
      invoice_id uuid,
      period_end timestamptz,
      canceled_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint pack_purchase_price_model_check check (price_model in ('one_off', 'monthly')),
      constraint pack_purchase_status_check check (status in ('pending', 'active', 'canceled', 'refunded', 'lapsed')),
      constraint pack_purchase_currency_check check (currency in ('USD', 'ILS'))
    );
    create unique index pack_purchase_live_key on pack_purchase (space_id, pack_id) where status in ('pending', 'active');
    create index pack_purchase_space_idx on pack_purchase (space_id);
    create index pack_purchase_renewal_idx on pack_purchase (period_end) where status = 'active' and price_model = 'monthly';

    -- The ledger. A sale splits what was paid: gross = tax + creator + platform, all in minor units; a refund
    -- is the same shape with every amount negative. Instance-level on purpose: a creator's queries read
    -- their own entries and never the purchase (which names the buyer's space).
    create table ledger_entry (
      id uuid primary key,
      kind text not null,
      sale_id uuid references ledger_entry (id),
      purchase_id uuid references pack_purchase (id) on delete set null,
      pack_id text not null,
      creator_account_id uuid not null references account (id),
      currency text not null,
      gross integer not null,
      tax integer not null,
      creator_amount integer not null,
      platform_amount integer not null,
      fee integer not null default 0,
      invoice_id uuid,
      provider text not null,
      provider_ref text,
      reason text,
      payout_id uuid,
      occurred_at timestamptz not null,
      created_by uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      constraint ledger_entry_kind_check check (kind in ('sale', 'refund')),
      constraint ledger_entry_sum_check check (gross = tax + creator_amount + platform_amount),
      constraint ledger_entry_sign_check check (
        (kind = 'sale' and sale_id is null and gross > 0 and tax >= 0 and creator_amount >= 0 and platform_amount >= 0 and fee >= 0)
        or (kind = 'refund' and sale_id is not null and gross < 0 and tax <= 0 and creator_amount <= 0 and platform_amount <= 0 and fee = 0)
      ),
      constraint ledger_entry_currency_check check (currency in ('USD', 'ILS'))
    );
    create unique index ledger_entry_sale_invoice_key on ledger_entry (invoice_id) where kind = 'sale';
    create index ledger_entry_creator_idx on ledger_entry (creator_account_id, occurred_at);
    create index ledger_entry_sale_idx on ledger_entry (sale_id) where sale_id is not null;
    create index ledger_entry_unpaid_idx on ledger_entry (creator_account_id, currency) where payout_id is null;

    create table payout (
      id uuid primary key,
      creator_account_id uuid not null references account (id),
      period text not null,
      currency text not null,
      amount integer not null,
      entry_count integer not null,
      status text not null default 'pending',
      paid_at timestamptz,
      paid_by uuid references account (id) on delete set null,
      reference text,
      created_at timestamptz not null default now(),
      constraint payout_period_check check (period ~ '^[0-9]{4}-[0-9]{2}$'),
      constraint payout_status_check check (status in ('pending', 'paid')),
      constraint payout_amount_check check (amount > 0),
      constraint payout_key unique (creator_account_id, period, currency)
    );
    alter table ledger_entry add constraint ledger_entry_payout_fkey foreign key (payout_id) references payout (id);

    -- Ratings and reviews are public marketplace content (the reviewer's display name is shown).
    create table pack_review (
      id uuid primary key,
      pack_id text not null references listing (pack_id) on delete cascade,
      account_id uuid not null references account (id) on delete cascade,
      rating integer not null,
      body text not null default '',
      reply text,
      replied_at timestamptz,
      hidden_at timestamptz,
      hidden_reason text,
      hidden_by uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint pack_review_rating_check check (rating between 1 and 5),
      constraint pack_review_one_per_person unique (pack_id, account_id)
    );
    create index pack_review_pack_idx on pack_review (pack_id, created_at desc);

    create table uninstall_feedback (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      pack_id text not null,
      installation_id uuid not null,
      reason text not null,
      created_at timestamptz not null default now(),
      constraint uninstall_feedback_reason_check check (reason in ('not_useful', 'too_expensive', 'privacy', 'broken', 'replaced', 'other')),
      constraint uninstall_feedback_installation_key unique (installation_id)
    );
    create index uninstall_feedback_pack_idx on uninstall_feedback (pack_id, created_at);

    alter table invoice drop constraint invoice_kind_check;
    alter table invoice add constraint invoice_kind_check check (kind in ('subscription', 'change', 'renewal', 'extra_runs', 'addon', 'sale'));
    create index pack_installation_pack_idx on pack_installation (pack_id, created_at);
    create index agent_run_installation_idx on agent_run (installation_id, queued_at);
  `.execute(db);
  await sql`
    select csme_enable_tenant_rls('pack_purchase', false);
    select csme_enable_tenant_rls('uninstall_feedback', false);
    grant select on listing to csme_app;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    drop index agent_run_installation_idx;
    drop index pack_installation_pack_idx;
    alter table invoice drop constraint invoice_kind_check;
    alter table invoice add constraint invoice_kind_check check (kind in ('subscription', 'change', 'renewal', 'extra_runs', 'addon'));
    drop table uninstall_feedback;
    drop table pack_review;
    alter table ledger_entry drop constraint ledger_entry_payout_fkey;
    drop table payout;
    drop table ledger_entry;
    drop table pack_purchase;
    drop table pack_submission;
    drop table listing_screenshot;
    drop table listing;
    drop table creator_profile;
  `.execute(db);
}
