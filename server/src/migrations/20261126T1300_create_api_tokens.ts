import { type Kysely, sql } from 'kysely';

// Frozen once merged. Personal API tokens (`Authorization: Bearer csme_pat_…`): an account's own,
// with scopes and an expiry, revocable; only the SHA-256 of the token is stored. A token acts in the
// account's personal space, so the table has no space_id (like session, it is looked up by its hash).

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table api_token (
      id uuid primary key,
      account_id uuid not null references account (id) on delete cascade,
      name text not null,
      token_hash bytea not null,
      prefix text not null,
      scopes text[] not null,
      expires_at timestamptz not null,
      last_used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      constraint api_token_token_hash_key unique (token_hash),
      constraint api_token_scopes_check check (cardinality(scopes) > 0)
    );
    create index api_token_account_idx on api_token (account_id, created_at desc);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table api_token`.execute(db);
}
