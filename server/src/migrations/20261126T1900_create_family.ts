import { type Kysely, sql } from 'kysely';

// Family spaces: invitations (single-use, expiring links; only the hash of the token is stored) and
// the end of a family space (read-only from the day its Family plan ends, deleted 30 days later).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table family_invitation (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      email text not null,
      email_normalized text not null,
      role text not null,
      token_hash bytea not null,
      invited_by_account_id uuid references account (id) on delete set null,
      status text not null default 'pending',
      expires_at timestamptz not null,
      decided_at timestamptz,
      accepted_account_id uuid references account (id) on delete set null,
      created_at timestamptz not null default now(),
      constraint family_invitation_token_hash_key unique (token_hash),
      constraint family_invitation_role_check check (role in ('adult', 'child')),
      constraint family_invitation_status_check check (status in ('pending', 'accepted', 'declined', 'revoked'))
    );
    create index family_invitation_space_idx on family_invitation (space_id, created_at desc);
    create index family_invitation_email_idx on family_invitation (email_normalized) where status = 'pending';
    select csme_enable_tenant_rls('family_invitation', false);

    alter table space add column read_only_since timestamptz;
    alter table space add column delete_after timestamptz;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop table family_invitation;
    alter table space drop column read_only_since;
    alter table space drop column delete_after;
  `.execute(db);
}
