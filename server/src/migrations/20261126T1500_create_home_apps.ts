import { type Kysely, sql } from 'kysely';

// Frozen once merged. The home apps: notes, lists (items, staples), reminders, contacts and the
// person's own calendar events; and the `demo` marker on every table the sample data writes to
// (the demo mailbox and calendar are connectors whose index rows go with them).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table note (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      title text not null,
      body text not null default '',
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      idempotency_key text,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint note_idempotency_key unique (space_id, idempotency_key),
      constraint note_visibility_check check (visibility in ('shared', 'private'))
    );
    create index note_space_updated_idx on note (space_id, updated_at desc);

    create table list (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      name text not null,
      kind text not null default 'shopping',
      created_by_account_id uuid references account (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint list_kind_check check (kind in ('shopping', 'todo', 'other')),
      constraint list_visibility_check check (visibility in ('shared', 'private'))
    );
    create index list_space_idx on list (space_id, created_at);

    -- Items carry their list's owner and visibility (kept in step by the service) so that RLS alone
    -- hides the items of another member's private list.
    create table list_item (
      id uuid primary key,
      list_id uuid not null references list (id) on delete cascade,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      name text not null,
      quantity numeric,
      unit text,
      category text not null default 'other',
      done boolean not null default false,
      done_at timestamptz,
      added_by_account_id uuid references account (id) on delete set null,
      added_by_agent_id uuid references agent (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      idempotency_key text,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint list_item_idempotency_key unique (space_id, idempotency_key)
    );
    create index list_item_list_idx on list_item (list_id, done, created_at);

    create table list_staple (
      id uuid primary key,
      list_id uuid not null references list (id) on delete cascade,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      name text not null,
      quantity numeric,
      unit text,
      category text not null default 'other',
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      constraint list_staple_name_key unique (list_id, name)
    );

    create table reminder (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      title text not null,
      notes text not null default '',
      assignee_account_id uuid not null references account (id),
      due_at timestamptz not null,
      rrule text,
      dtstart text,
      time_zone text not null,
      status text not null default 'active',
      last_fired_at timestamptz,
      fired_count integer not null default 0,
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      idempotency_key text,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint reminder_idempotency_key unique (space_id, idempotency_key),
      constraint reminder_status_check check (status in ('active', 'done')),
      constraint reminder_visibility_check check (visibility in ('shared', 'private'))
    );
    create index reminder_space_due_idx on reminder (space_id, status, due_at);

    create table contact (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      name text not null,
      emails text[] not null default '{}',
      company text not null default '',
      stage text not null default 'lead',
      notes text not null default '',
      last_contact_at timestamptz,
      next_follow_up_at timestamptz,
      source text not null default 'manual',
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint contact_stage_check check (stage in ('lead', 'active', 'customer', 'past', 'other')),
      constraint contact_source_check check (source in ('manual', 'mail', 'agent')),
      constraint contact_visibility_check check (visibility in ('shared', 'private'))
    );
    create index contact_space_name_idx on contact (space_id, lower(name));
    create index contact_emails_idx on contact using gin (emails);

    create table calendar_entry (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      title text not null,
      notes text not null default '',
      location text not null default '',
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      all_day boolean not null default false,
      time_zone text not null,
      rrule text,
      attendees text[] not null default '{}',
      created_by_account_id uuid references account (id) on delete set null,
      created_by_agent_id uuid references agent (id) on delete set null,
      updated_by uuid references account (id) on delete set null,
      idempotency_key text,
      demo boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint calendar_entry_idempotency_key unique (space_id, idempotency_key),
      constraint calendar_entry_visibility_check check (visibility in ('shared', 'private'))
    );
    create index calendar_entry_space_idx on calendar_entry (space_id, starts_at);

    alter table connector add column demo boolean not null default false;
    alter table task add column demo boolean not null default false;
    alter table uploaded_file add column demo boolean not null default false;
  `.execute(db);

  await sql`
    select csme_enable_tenant_rls('note', true);
    select csme_enable_tenant_rls('list', true);
    select csme_enable_tenant_rls('list_item', true);
    select csme_enable_tenant_rls('list_staple', true);
    select csme_enable_tenant_rls('reminder', true);
    select csme_enable_tenant_rls('contact', true);
    select csme_enable_tenant_rls('calendar_entry', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the home apps migration cannot be reverted');
}
