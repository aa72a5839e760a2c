// Calendar skills: list occurrences from the events index (ICS and CalDAV merged), and create, change
// or delete events on a CalDAV calendar. Writes are idempotent by the action's key: the new event's
// UID and file name come from it, and the server refuses a second create (If-None-Match: *).
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import { type ConnectorRow, listCalendarOccurrences } from '../connectors.repository.js';
import { connectorForSkill, logRead, readCredentials } from '../connectors.service.js';
import { buildEventIcs, parseCalendar } from './ical.js';
import { calendarWindow, davClient, davFailure, storeEvents } from './sync.js';

const OccurrenceOut = z.object({
  eventId: z.uuid(),
  connectorId: z.uuid(),
  summary: z.string(),
  location: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  allDay: z.boolean(),
  writable: z.boolean(),
});

const calendarListEvents = defineSkill({
  id: 'calendar.list-events',
  description: 'Lists calendar events (every occurrence of repeating ones) between two times, from all connected calendars',
  kind: 'read',
  scopes: ['calendar:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    connectorId: z.uuid().optional(),
    limit: z.number().int().min(1).max(500).default(100),
  }),
  output: z.object({ events: z.array(OccurrenceOut) }),
  async run(sctx, input) {
    const from = new Date(input.from);
    const to = new Date(input.to);
    if (to <= from) throw new AppError('invalid_input', 'input.to: must be after input.from');
    const rows = await sctx.inScope((db) =>
      listCalendarOccurrences(db, sctx.spaceId!, { from, to, connectorId: input.connectorId, limit: input.limit }),
    );
    const connectors = new Set(rows.map((r) => r.connectorId));
    for (const id of connectors) {
      const conn = await sctx.inScope((db) => db.selectFrom('connector').selectAll().where('id', '=', id).executeTakeFirst());
      if (conn)
        await logRead(
          sctx,
          conn,
          'calendar.list-events',
          `Read the events of "${conn.name}" from ${input.from.slice(0, 10)} to ${input.to.slice(0, 10)}`,
          {
            count: rows.filter((r) => r.connectorId === id).length,
          },
        );
    }
    return {
      events: rows.map((r) => ({
        eventId: r.eventId,
        connectorId: r.connectorId,
        summary: r.summary,
        location: r.location,
        startsAt: r.startsAt.toISOString(),
        endsAt: r.endsAt.toISOString(),
        allDay: r.allDay,
        writable: r.writable,
      })),
    };
  },
});

async function calendarsOf(sctx: SkillContext, conn: ConnectorRow) {
  const client = await davClient(
    sctx.ctx.deps.egress,
    conn.config as { url: string; username: string },
    await readCredentials(sctx.ctx, conn),
  );
  const host = conn.host ?? '';
  try {
    const calendars = (await client.fetchCalendars()).filter((c) => !c.components || c.components.includes('VEVENT'));
    return { client, calendars };
  } catch (e) {
    throw davFailure(e, host);
  }
}

/** Re-reads one calendar object and puts it in the index. */
async function indexObject(sctx: SkillContext, conn: ConnectorRow, calendarUrl: string, href: string, ics: string, etag: string | null) {
  const parsed = parseCalendar(ics, calendarWindow(sctx.now));
  return storeEvents(
    sctx.ctx,
    { ...conn, initial_synced_at: conn.initial_synced_at ?? sctx.now },
    calendarUrl,
    parsed.events.map((e) => ({ ...e, href, etag })),
    {
      removeMissing: false,
    },
  );
}

const When = z.iso.datetime({ offset: true });

const calendarCreateEvent = defineSkill({
  id: 'calendar.create-event',
  description: 'Creates an event on a CalDAV calendar',
  kind: 'act',
  actionType: 'calendar.create-event',
  external: true,
  scopes: ['calendar:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    connectorId: z.uuid().optional(),
    calendarUrl: z.string().max(2000).optional(),
    summary: z.string().min(1).max(500),
    startsAt: When,
    endsAt: When,
    allDay: z.boolean().default(false),
    location: z.string().max(500).optional(),
    description: z.string().max(10_000).optional(),
  }),
  output: z.object({ eventId: z.uuid(), uid: z.string() }),
  async run(sctx, input) {
    if (new Date(input.endsAt) < new Date(input.startsAt))
      throw new AppError('invalid_input', 'input.endsAt: must not be before the start');
    const conn = await connectorForSkill(sctx, ['caldav'], input.connectorId);
    const key = sctx.idempotencyKey ?? `create:${createHash('sha256').update(JSON.stringify(input)).digest('hex')}`;
    const token = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const uid = `csme-${token}@connectsoft.me`;
    const { client, calendars } = await calendarsOf(sctx, conn);
    const cal = input.calendarUrl ? calendars.find((c) => c.url === input.calendarUrl) : calendars[0];
    if (!cal) throw new AppError('not_found', 'That calendar was not found on the server.');
    const ics = buildEventIcs({
      uid,
      summary: input.summary,
      startsAt: new Date(input.startsAt),
      endsAt: new Date(input.endsAt),
      allDay: input.allDay,
      location: input.location,
      description: input.description,
      now: sctx.now,
    });
    const filename = `csme-${token}.ics`;
    let res: Response;
    try {
      res = await client.createCalendarObject({ calendar: cal, filename, iCalString: ics });
    } catch (e) {
      throw davFailure(e, conn.host ?? '');
    }
    // 412: an object with this name exists: a retry of this very action, already done.
    if (!res.ok && res.status !== 412) throw new AppError('invalid_input', `The calendar server refused the event (${res.status}).`);
    const href = new URL(filename, cal.url).toString();
    const [eventId] = await indexObject(sctx, conn, cal.url, href, ics, res.headers.get('etag'));
    return { eventId: eventId!, uid };
  },
  preview: (input, locale) =>
    locale === 'he'
      ? { title: `הוספת אירוע: ${input.summary}`, summary: `${input.startsAt} – ${input.endsAt}` }
      : { title: `Add an event: ${input.summary}`, summary: `${input.startsAt} – ${input.endsAt}` },
});

async function eventRow(sctx: SkillContext, eventId: string) {
  const r = await sctx.inScope((db) =>
    db.selectFrom('calendar_event').selectAll().where('space_id', '=', sctx.spaceId!).where('id', '=', eventId).executeTakeFirst(),
  );
  if (!r) throw new AppError('not_found', 'That event is not in the calendar index.');
  const conn = await connectorForSkill(sctx, ['caldav', 'ics'], r.connector_id);
  if (conn.kind !== 'caldav' || !r.href)
    throw new AppError('invalid_input', 'This event comes from a read-only calendar feed; it cannot be changed here.');
  return { r, conn };
}

const calendarUpdateEvent = defineSkill({
  id: 'calendar.update-event',
  description: 'Changes an event on a CalDAV calendar (title, times, place, notes)',
  kind: 'act',
  actionType: 'calendar.update-event',
  external: true,
  scopes: ['calendar:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    eventId: z.uuid(),
    summary: z.string().min(1).max(500).optional(),
    startsAt: When.optional(),
    endsAt: When.optional(),
    location: z.string().max(500).optional(),
    description: z.string().max(10_000).optional(),
  }),
  output: z.object({ eventId: z.uuid() }),
  async run(sctx, input) {
    const { r, conn } = await eventRow(sctx, input.eventId);
    const root = new ICAL.Component(ICAL.parse(r.ics));
    const ve = root.getAllSubcomponents('vevent').find((c) => !c.getFirstProperty('recurrence-id')) ?? root.getFirstSubcomponent('vevent');
    if (!ve) throw new AppError('invalid_input', 'The stored event cannot be changed (it has no VEVENT).');
    if (input.summary !== undefined) ve.updatePropertyWithValue('summary', input.summary);
    if (input.location !== undefined) ve.updatePropertyWithValue('location', input.location);
    if (input.description !== undefined) ve.updatePropertyWithValue('description', input.description);
    for (const [prop, v] of [
      ['dtstart', input.startsAt],
      ['dtend', input.endsAt],
    ] as const) {
      if (!v) continue;
      ve.removeAllProperties(prop);
      ve.addPropertyWithValue(prop, ICAL.Time.fromJSDate(new Date(v), true));
    }
    ve.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(sctx.now, true));
    const seq = Number(ve.getFirstPropertyValue('sequence') ?? 0);
    ve.updatePropertyWithValue('sequence', seq + 1);
    const ics = root.toString();
    const { client } = await calendarsOf(sctx, conn);
    let res: Response;
    try {
      res = await client.updateCalendarObject({ calendarObject: { url: r.href!, data: ics, etag: r.etag ?? undefined } });
    } catch (e) {
      throw davFailure(e, conn.host ?? '');
    }
    if (res.status === 412) throw new AppError('conflict', 'The event was changed elsewhere since it was read; look at it again.');
    if (!res.ok) throw new AppError('invalid_input', `The calendar server refused the change (${res.status}).`);
    await indexObject(sctx, conn, r.calendar_url, r.href!, ics, res.headers.get('etag'));
    return { eventId: r.id };
  },
  preview: (input, locale) =>
    locale === 'he'
      ? { title: `שינוי אירוע${input.summary ? `: ${input.summary}` : ''}`, summary: '' }
      : { title: `Change an event${input.summary ? `: ${input.summary}` : ''}`, summary: '' },
});

const calendarDeleteEvent = defineSkill({
  id: 'calendar.delete-event',
  description: 'Deletes an event from a CalDAV calendar',
  kind: 'act',
  actionType: 'calendar.delete-event',
  external: true,
  scopes: ['calendar:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ eventId: z.uuid() }),
  output: z.object({ eventId: z.uuid(), deleted: z.boolean() }),
  async run(sctx, input) {
    const { r, conn } = await eventRow(sctx, input.eventId);
    const { client } = await calendarsOf(sctx, conn);
    let res: Response;
    try {
      res = await client.deleteCalendarObject({ calendarObject: { url: r.href!, etag: r.etag ?? undefined } });
    } catch (e) {
      throw davFailure(e, conn.host ?? '');
    }
    if (!res.ok && res.status !== 404 && res.status !== 410)
      throw new AppError('invalid_input', `The calendar server refused to delete it (${res.status}).`);
    await sctx.inScope((db) => db.deleteFrom('calendar_event').where('space_id', '=', sctx.spaceId!).where('id', '=', r.id).execute());
    return { eventId: r.id, deleted: true };
  },
  preview: (_input, locale) => (locale === 'he' ? { title: 'מחיקת אירוע', summary: '' } : { title: 'Delete an event', summary: '' }),
});

export const calendarSkills = [calendarListEvents, calendarCreateEvent, calendarUpdateEvent, calendarDeleteEvent];
