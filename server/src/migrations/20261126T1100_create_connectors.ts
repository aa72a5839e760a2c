import { type Kysely, sql } from 'kysely';

// Frozen once merged. Connectors (email, ICS and CalDAV calendars, feeds, outgoing HTTP), their
// indexes (messages, calendar events and occurrences, feed items) and uploaded files.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table connector (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      kind text not null,
      name text not null,
      host text,
      config jsonb not null default '{}',
      credentials bytea,
      status text not null default 'active',
      paused_reason text,
      sync_phase text not null default 'pending',
      progress_done integer not null default 0,
      progress_total integer,
      initial_synced_at timestamptz,
      last_sync_at timestamptz,
      last_success_at timestamptz,
      last_error text,
      last_error_at timestamptz,
      needs_attention boolean not null default false,
      item_errors integer not null default 0,
      state jsonb not null default '{}',
      sync_lease_until timestamptz,
      sync_requested boolean not null default false,
      created_by uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint connector_kind_check check (kind in ('email', 'ics', 'caldav', 'feed', 'http')),
      constraint connector_status_check check (status in ('active', 'paused')),
      constraint connector_sync_phase_check check (sync_phase in ('pending', 'initial', 'live', 'idle')),
      constraint connector_visibility_check check (visibility in ('shared', 'private'))
    );
    create index connector_space_idx on connector (space_id, created_at);
    create index connector_active_kind_idx on connector (kind) where status = 'active';

    create table mail_folder (
      connector_id uuid not null references connector (id) on delete cascade,
      path text not null,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      special_use text,
      uid_validity bigint,
      last_uid bigint not null default 0,
      synced_at timestamptz,
      constraint mail_folder_pkey primary key (connector_id, path)
    );

    create table mail_message (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      connector_id uuid not null references connector (id) on delete cascade,
      folder text not null,
      uid_validity bigint not null,
      uid bigint not null,
      message_id text,
      in_reply_to text,
      thread_id text not null,
      subject text not null default '',
      from_address text,
      from_name text,
      to_addresses jsonb not null default '[]',
      cc_addresses jsonb not null default '[]',
      sent_at timestamptz,
      flags text[] not null default '{}',
      snippet text not null default '',
      body_text text not null default '',
      attachments jsonb not null default '[]',
      size integer not null default 0,
      parse_error text,
      created_at timestamptz not null default now(),
      search tsvector generated always as (
        to_tsvector('simple', coalesce(subject, '') || ' ' || coalesce(from_name, '') || ' ' || coalesce(from_address, '') || ' ' || left(body_text, 100000))
      ) stored,
      constraint mail_message_uid_key unique (connector_id, folder, uid_validity, uid)
    );
    create index mail_message_space_date_idx on mail_message (space_id, sent_at desc nulls last, id desc);
    create index mail_message_thread_idx on mail_message (space_id, thread_id);
    create index mail_message_message_id_idx on mail_message (connector_id, message_id);
    create index mail_message_search_idx on mail_message using gin (search);

    create table calendar_event (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      connector_id uuid not null references connector (id) on delete cascade,
      uid text not null,
      calendar_url text not null default '',
      href text,
      etag text,
      summary text not null default '',
      description text not null default '',
      location text not null default '',
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      all_day boolean not null default false,
      time_zone text,
      recurring boolean not null default false,
      ics text not null,
      content_hash text not null,
      problem text,
      updated_at timestamptz not null default now(),
      constraint calendar_event_uid_key unique (connector_id, calendar_url, uid)
    );
    create index calendar_event_space_idx on calendar_event (space_id, starts_at);

    create table calendar_occurrence (
      event_id uuid not null references calendar_event (id) on delete cascade,
      starts_at timestamptz not null,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      connector_id uuid not null references connector (id) on delete cascade,
      ends_at timestamptz not null,
      all_day boolean not null default false,
      summary text not null default '',
      location text not null default '',
      constraint calendar_occurrence_pkey primary key (event_id, starts_at)
    );
    create index calendar_occurrence_space_idx on calendar_occurrence (space_id, starts_at);

    create table feed_item (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null,
      visibility text not null,
      connector_id uuid not null references connector (id) on delete cascade,
      guid text not null,
      url text,
      title text not null default '',
      summary text not null default '',
      author text,
      published_at timestamptz,
      created_at timestamptz not null default now(),
      constraint feed_item_guid_key unique (connector_id, guid)
    );
    create index feed_item_space_idx on feed_item (space_id, coalesce(published_at, created_at) desc);

    create table uploaded_file (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      name text not null,
      media_type text not null,
      size integer not null,
      sha256 text not null,
      content bytea not null,
      text text not null default '',
      text_error text,
      pages integer,
      created_at timestamptz not null default now(),
      constraint uploaded_file_visibility_check check (visibility in ('shared', 'private'))
    );
    create index uploaded_file_space_idx on uploaded_file (space_id, created_at desc);
  `.execute(db);

  await sql`
    select csme_enable_tenant_rls('connector', true);
    select csme_enable_tenant_rls('mail_folder', true);
    select csme_enable_tenant_rls('mail_message', true);
    select csme_enable_tenant_rls('calendar_event', true);
    select csme_enable_tenant_rls('calendar_occurrence', true);
    select csme_enable_tenant_rls('feed_item', true);
    select csme_enable_tenant_rls('uploaded_file', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the connectors migration cannot be reverted');
}
