import { type Kysely, sql } from 'kysely';

// The documents app: study material. The file and its text stay in the connectors' uploaded_file
// (one copy, one upload path, one deletion); a document adds what studying needs: a title, the
// summary and key phrases, and the exam date a learning plan works towards.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table study_document (
      id uuid primary key,
      space_id uuid not null references space (id) on delete cascade,
      owner_account_id uuid not null references account (id),
      visibility text not null,
      file_id uuid not null references uploaded_file (id) on delete cascade,
      title text not null,
      summary text not null default '',
      key_phrases jsonb not null default '[]',
      exam_date date,
      created_by_agent_id uuid references agent (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint study_document_file_key unique (space_id, file_id),
      constraint study_document_visibility_check check (visibility in ('shared', 'private'))
    );
    create index study_document_space_idx on study_document (space_id, created_at desc);

    select csme_enable_tenant_rls('study_document', true);
  `.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the documents migration cannot be reverted');
}
