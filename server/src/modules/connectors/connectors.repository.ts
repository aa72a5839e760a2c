import type { Insertable, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { Connector, UploadedFile } from '#core/db.types.js';

export type ConnectorRow = Selectable<Connector>;

export async function insertConnector(db: Db, row: Insertable<Connector>): Promise<ConnectorRow> {
  return db.insertInto('connector').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findConnector(db: Db, spaceId: string, id: string): Promise<ConnectorRow | undefined> {
  return db.selectFrom('connector').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

export async function findConnectorForUpdate(db: Db, spaceId: string, id: string): Promise<ConnectorRow | undefined> {
  return db.selectFrom('connector').selectAll().where('space_id', '=', spaceId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function listConnectorRows(db: Db, spaceId: string): Promise<ConnectorRow[]> {
  return db.selectFrom('connector').selectAll().where('space_id', '=', spaceId).orderBy('created_at').orderBy('id').execute();
}

export async function updateConnectorRow(db: Db, spaceId: string, id: string, set: Updateable<Connector>): Promise<void> {
  await db.updateTable('connector').set(set).where('space_id', '=', spaceId).where('id', '=', id).execute();
}

export async function deleteConnectorRow(db: Db, spaceId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('connector').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** System: active connectors of the kinds that sync, whose last sync is older than their interval. */
export async function listDueConnectors(
  db: Db,
  now: Date,
  intervals: Record<string, number>,
  limit: number,
): Promise<Array<{ id: string; space_id: string }>> {
  const kinds = Object.keys(intervals);
  if (!kinds.length) return [];
  return db
    .selectFrom('connector')
    .select(['id', 'space_id'])
    .where('status', '=', 'active')
    .where('kind', 'in', kinds)
    .where('needs_attention', '=', false)
    .where((eb) =>
      eb.or([
        eb('last_sync_at', 'is', null),
        eb(
          'last_sync_at',
          '<',
          sql<Date>`${now}::timestamptz - make_interval(secs => (${JSON.stringify(intervals)}::jsonb ->> kind)::int)`,
        ),
      ]),
    )
    .orderBy('last_sync_at', (ob) => ob.asc().nullsFirst())
    .limit(limit)
    .execute();
}

/** Counts a space's connectors (every member's, for the pooled plan limit), by kind. */
export async function countConnectorsByKind(db: Db, spaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('connector')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('space_id', '=', spaceId)
    .where('status', '=', 'active')
    .groupBy('kind')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

// ---------------------------------------------------------------- files

export type FileRow = Omit<Selectable<UploadedFile>, 'content'>;

export async function insertFile(db: Db, row: Insertable<UploadedFile>): Promise<void> {
  await db.insertInto('uploaded_file').values(row).execute();
}

export async function listFileRows(db: Db, spaceId: string): Promise<FileRow[]> {
  return db
    .selectFrom('uploaded_file')
    .select([
      'id',
      'space_id',
      'owner_account_id',
      'visibility',
      'name',
      'media_type',
      'size',
      'sha256',
      'text',
      'text_error',
      'pages',
      'created_at',
    ])
    .where('space_id', '=', spaceId)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
}

export async function findFile(db: Db, spaceId: string, id: string): Promise<FileRow | undefined> {
  return db
    .selectFrom('uploaded_file')
    .select([
      'id',
      'space_id',
      'owner_account_id',
      'visibility',
      'name',
      'media_type',
      'size',
      'sha256',
      'text',
      'text_error',
      'pages',
      'created_at',
    ])
    .where('space_id', '=', spaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function deleteFileRow(db: Db, spaceId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('uploaded_file').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
