import { type Kysely, sql } from 'kysely';

// Study cards: decks (one per document, or made by hand) and their cards. The FSRS schedule is kept
// per person in card_state (always private to its owner), so members of a family who study the same
// shared deck each have their own reviews.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table card_deck (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      document_id uuid references study_document (id) on delete set null,
      name text not null,
      created_by_agent_id uuid references agent (id) on delete set null,
      idempotency_key text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint card_deck_idempotency_key unique (space_id, idempotency_key),
      constraint card_deck_visibility_check check (visibility in ('shared', 'private'))
    );
    create index card_deck_space_idx on card_deck (space_id, created_at desc);
    create unique index card_deck_document_key on card_deck (space_id, owner_account_id, document_id) where document_id is not null;

    create table card (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      deck_id uuid not null references card_deck (id) on delete cascade,
      kind text not null,
      question text not null,
      answer text not null,
      choices jsonb,
      created_at timestamptz not null default now(),
      constraint card_kind_check check (kind in ('basic', 'cloze', 'choice')),
      constraint card_visibility_check check (visibility in ('shared', 'private'))
    );
    create index card_deck_idx on card (space_id, deck_id);
    create unique index card_question_key on card (deck_id, md5(question));

    create table card_state (
      card_id uuid not null references card (id) on delete cascade,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id) on delete cascade,
      visibility text not null default 'private',
      due timestamptz not null,
      stability double precision not null,
      difficulty double precision not null,
      elapsed_days integer not null,
      scheduled_days integer not null,
      learning_steps integer not null,
      reps integer not null,
      lapses integer not null,
      state smallint not null,
      last_review timestamptz,
      constraint card_state_pkey primary key (card_id, owner_account_id),
      constraint card_state_private_check check (visibility = 'private')
    );
    create index card_state_due_idx on card_state (space_id, owner_account_id, due);

    select csme_enable_tenant_rls('card_deck', true);
    select csme_enable_tenant_rls('card', true);
    select csme_enable_tenant_rls('card_state', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the cards migration cannot be reverted');
}
