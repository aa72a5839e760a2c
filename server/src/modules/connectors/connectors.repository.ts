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
    .where('demo', '=', false)
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

/** Counts a space's connectors (every member's, for the pooled plan limit), by kind; the demo's sample accounts do not count. */
export async function countConnectorsByKind(db: Db, spaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('connector')
    .select(['kind', (eb) => eb.fn.countAll<string>().as('n')])
    .where('space_id', '=', spaceId)
    .where('status', '=', 'active')
    .where('demo', '=', false)
    .groupBy('kind')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

// ---------------------------------------------------------------- files

export type FileRow = Omit<Selectable<UploadedFile>, 'content' | 'demo'>;

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

// ---------------------------------------------------------------- the events index, for other modules

export interface CalendarOccurrenceRow {
  eventId: string;
  connectorId: string;
  uid: string;
  summary: string;
  location: string;
  startsAt: Date;
  endsAt: Date;
  allDay: boolean;
  /** True for CalDAV events (they can be changed with the calendar skills); ICS feeds are read only. */
  writable: boolean;
  visibility: string;
  ownerAccountId: string;
}

/**
 * Occurrences of connected calendars' events (ICS and CalDAV merged, repeats expanded) that overlap
 * [from, to), in start order. Run it in the reader's tenant transaction: RLS keeps others' private ones out.
 */
export async function listCalendarOccurrences(
  db: Db,
  spaceId: string,
  q: { from: Date; to: Date; connectorId?: string; limit?: number },
): Promise<CalendarOccurrenceRow[]> {
  let query = db
    .selectFrom('calendar_occurrence as o')
    .innerJoin('calendar_event as e', 'e.id', 'o.event_id')
    .innerJoin('connector as c', 'c.id', 'o.connector_id')
    .select([
      'o.event_id',
      'o.connector_id',
      'e.uid',
      'o.summary',
      'o.location',
      'o.starts_at',
      'o.ends_at',
      'o.all_day',
      'c.kind',
      'o.visibility',
      'o.owner_account_id',
    ])
    .where('o.space_id', '=', spaceId)
    .where('c.status', '=', 'active')
    .where('o.starts_at', '<', q.to)
    .where('o.ends_at', '>=', q.from);
  if (q.connectorId) query = query.where('o.connector_id', '=', q.connectorId);
  const rows = await query
    .orderBy('o.starts_at')
    .limit(q.limit ?? 1000)
    .execute();
  return rows.map((r) => ({
    eventId: r.event_id,
    connectorId: r.connector_id,
    uid: r.uid,
    summary: r.summary,
    location: r.location,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    allDay: r.all_day,
    writable: r.kind === 'caldav',
    visibility: r.visibility,
    ownerAccountId: r.owner_account_id,
  }));
}

/** One event of the index with what it says of itself (for meeting preparation), read in the reader's tenant transaction. */
export async function findCalendarEvent(db: Db, spaceId: string, eventId: string) {
  return db
    .selectFrom('calendar_event as e')
    .innerJoin('connector as c', 'c.id', 'e.connector_id')
    .select([
      'e.id',
      'e.connector_id',
      'e.summary',
      'e.description',
      'e.location',
      'e.starts_at',
      'e.ends_at',
      'e.all_day',
      'e.recurring',
      'e.ics',
      'c.kind',
      'c.demo',
      'e.visibility',
    ])
    .where('e.space_id', '=', spaceId)
    .where('e.id', '=', eventId)
    .executeTakeFirst();
}

/** Active CalDAV connectors (calendars events can be written to), in the reader's tenant transaction. */
export async function listWritableCalendars(db: Db, spaceId: string): Promise<Array<{ connectorId: string; name: string }>> {
  const rows = await db
    .selectFrom('connector')
    .select(['id', 'name'])
    .where('space_id', '=', spaceId)
    .where('kind', '=', 'caldav')
    .where('status', '=', 'active')
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ connectorId: r.id, name: r.name }));
}
