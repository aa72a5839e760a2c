import { type Insertable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { StudyDocument } from '#core/db.types.js';

/**
 * Documents with what their file says (name, type, pages, why no text), read from the connectors'
 * uploaded_file through the foreign key (read only; the files app owns those rows), and their deck.
 */
function withFile(db: Db, spaceId: string, accountId: string) {
  return db
    .selectFrom('study_document as d')
    .innerJoin('uploaded_file as f', 'f.id', 'd.file_id')
    .leftJoin('card_deck as k', (j) => j.onRef('k.document_id', '=', 'd.id').on('k.owner_account_id', '=', accountId))
    .selectAll('d')
    .select([
      'f.name as file_name',
      'f.media_type',
      'f.pages',
      'f.text_error',
      'k.id as deck_id',
      sql<string | null>`to_char(d.exam_date, 'YYYY-MM-DD')`.as('exam_day'),
      sql<number>`(select count(*)::int from card c where c.deck_id = k.id)`.as('card_count'),
    ])
    .where('d.space_id', '=', spaceId);
}

export async function listDocumentRows(db: Db, spaceId: string, accountId: string) {
  return withFile(db, spaceId, accountId).orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(500).execute();
}
export type DocumentRow = Awaited<ReturnType<typeof listDocumentRows>>[number];

export async function findDocument(db: Db, spaceId: string, accountId: string, id: string) {
  return withFile(db, spaceId, accountId).where('d.id', '=', id).executeTakeFirst();
}

export async function findDocumentByFile(db: Db, spaceId: string, accountId: string, fileId: string) {
  return withFile(db, spaceId, accountId).where('d.file_id', '=', fileId).executeTakeFirst();
}

/** Inserts a document once per file; returns the id of the one that exists. */
export async function insertDocument(db: Db, row: Insertable<StudyDocument>): Promise<string> {
  const r = await db
    .insertInto('study_document')
    .values(row)
    .onConflict((oc) => oc.columns(['space_id', 'file_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (r) return r.id;
  return (
    await db
      .selectFrom('study_document')
      .select('id')
      .where('space_id', '=', row.space_id)
      .where('file_id', '=', row.file_id)
      .executeTakeFirstOrThrow()
  ).id;
}

export async function updateDocumentRow(db: Db, spaceId: string, id: string, set: Updateable<StudyDocument>): Promise<number> {
  const r = await db.updateTable('study_document').set(set).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteDocumentRow(db: Db, spaceId: string, id: string): Promise<number> {
  const r = await db.deleteFrom('study_document').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The text of the document's file (RLS decides whether this person may read it). */
export async function fileText(db: Db, spaceId: string, fileId: string) {
  return db.selectFrom('uploaded_file').select(['text']).where('space_id', '=', spaceId).where('id', '=', fileId).executeTakeFirst();
}
