import { DateTime } from 'luxon';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { attendeesOf, findCalendarEvent } from '#modules/connectors/index.js';
import { findEntry } from './calendar.repository.js';
import { agendaIn, createEntryIn } from './calendar.service.js';

const Item = z.object({
  key: z.string(),
  source: z.enum(['own', 'connected']),
  eventId: z.uuid(),
  title: z.string(),
  location: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  allDay: z.boolean(),
  conflictsWith: z.array(z.string()),
  /** The start in the person's time zone: `HH:mm` and `YYYY-MM-DD`, and the weekday (1 = Monday). */
  localTime: z.string(),
  localDate: z.string(),
  weekday: z.number().int(),
});

const RANGES = { today: [0, 1], tomorrow: [1, 2], 'next-7-days': [0, 7], 'next-14-days': [0, 14] } as const;

export const calendarAgenda = defineSkill({
  id: 'calendar.agenda',
  description:
    'Every event between two times from the person’s own calendar and their connected calendars (repeats expanded), with the ones that clash',
  kind: 'read',
  scopes: ['calendar:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    /** Days in the person's time zone, from the start of today; or give from and to. */
    range: z.enum(['today', 'tomorrow', 'next-7-days', 'next-14-days']).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(500).default(200),
  }),
  output: z.object({ events: z.array(Item), conflicts: z.array(z.object({ a: z.string(), b: z.string() })) }),
  async run(sctx, input) {
    let from: Date;
    let to: Date;
    if (input.range) {
      const day = DateTime.fromJSDate(sctx.now, { zone: sctx.timeZone }).startOf('day');
      const [a, b] = RANGES[input.range];
      from = day.plus({ days: a }).toJSDate();
      to = day.plus({ days: b }).toJSDate();
    } else if (input.from && input.to) {
      from = new Date(input.from);
      to = new Date(input.to);
    } else
      throw new AppError('invalid_input', 'input.range: give a range (today, tomorrow, next-7-days, next-14-days) or both from and to');
    const r = await sctx.inScope((db) => agendaIn(db, sctx.spaceId!, from, to));
    const local = (iso: string) => DateTime.fromISO(iso, { zone: sctx.timeZone });
    return {
      events: r.items.slice(0, input.limit).map((i) => ({
        key: i.key,
        source: i.source,
        eventId: i.eventId,
        title: i.title,
        location: i.location,
        startsAt: i.startsAt,
        endsAt: i.endsAt,
        allDay: i.allDay,
        conflictsWith: i.conflictsWith,
        localTime: local(i.startsAt).toFormat('HH:mm'),
        localDate: local(i.startsAt).toFormat('yyyy-LL-dd'),
        weekday: local(i.startsAt).weekday,
      })),
      conflicts: r.conflicts,
    };
  },
});

export const calendarEvent = defineSkill({
  id: 'calendar.event',
  description: 'One event (own or from a connected calendar) with its description and the people it names (attendees, organizer)',
  kind: 'read',
  scopes: ['calendar:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ eventId: z.uuid() }),
  output: z
    .object({
      eventId: z.uuid(),
      source: z.enum(['own', 'connected']),
      title: z.string(),
      description: z.string(),
      location: z.string(),
      startsAt: z.string(),
      endsAt: z.string(),
      attendees: z.array(z.string()),
    })
    .nullable(),
  async run(sctx, input) {
    return sctx.inScope(async (db) => {
      const own = await findEntry(db, sctx.spaceId!, input.eventId);
      if (own)
        return {
          eventId: own.id,
          source: 'own' as const,
          title: own.title,
          description: own.notes,
          location: own.location,
          startsAt: own.starts_at.toISOString(),
          endsAt: own.ends_at.toISOString(),
          attendees: own.attendees,
        };
      const e = await findCalendarEvent(db, sctx.spaceId!, input.eventId);
      if (!e) return null;
      return {
        eventId: e.id,
        source: 'connected' as const,
        title: e.summary,
        description: e.description.slice(0, 5000),
        location: e.location,
        startsAt: e.starts_at.toISOString(),
        endsAt: e.ends_at.toISOString(),
        attendees: attendeesOf(e.ics),
      };
    });
  },
});

export const calendarAddEvent = defineSkill({
  id: 'calendar.add-event',
  description: 'Add an event to the person’s own calendar in the platform (for a connected CalDAV calendar use calendar.create-event)',
  kind: 'act',
  actionType: 'calendar.add-event',
  scopes: ['calendar:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    title: z.string().trim().min(1).max(500),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    allDay: z.boolean().default(false),
    location: z.string().max(500).optional(),
    notes: z.string().max(10_000).optional(),
    rrule: z.string().max(300).optional(),
  }),
  output: z.object({ eventId: z.uuid() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? `להוסיף ליומן: ${i.title}` : `Add to your calendar: ${i.title}`,
    summary: `${i.startsAt.slice(0, 16).replace('T', ' ')} – ${i.endsAt.slice(11, 16)}`,
  }),
  async run(sctx, i) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'calendar.add-event needs a space');
    const eventId = await sctx.inScope((db) =>
      createEntryIn(sctx.ctx, db, sctx.now, sctx.spaceId!, {
        ...i,
        startsAt: new Date(i.startsAt),
        endsAt: new Date(i.endsAt),
        timeZone: sctx.timeZone,
        visibility: sctx.visibility,
        ownerAccountId: sctx.accountId!,
        createdByAccountId: sctx.accountId,
        agentId: sctx.agentId,
        idempotencyKey: sctx.idempotencyKey,
      }),
    );
    return { eventId };
  },
});

export const calendarAppSkills = [calendarAgenda, calendarEvent, calendarAddEvent];
