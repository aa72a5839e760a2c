import { z } from 'zod';
import { Id, IsoDateTime, Ok, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['calendar'];

/** One occurrence in the merged calendar: the person's own events and their connected calendars'. */
export const AgendaItem = z.object({
  /** `own:<entryId>` or `connected:<eventId>`, plus the occurrence start: unique in a window. */
  key: z.string(),
  source: z.enum(['own', 'connected']),
  eventId: Id,
  connectorId: Id.nullable(),
  title: z.string(),
  location: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  allDay: z.boolean(),
  recurring: z.boolean(),
  /** Own events, and CalDAV ones (changed through the connector); ICS feeds are read only. */
  writable: z.boolean(),
  visibility: Visibility,
  createdBy: z.string().nullable(),
  /** Keys of the other items it overlaps (calendar.conflicts). */
  conflictsWith: z.array(z.string()),
  demo: z.boolean(),
});
export type AgendaItem = z.infer<typeof AgendaItem>;

export const getAgenda = endpoint({
  method: 'GET',
  path: '/api/v1/calendar',
  summary: 'Every event between two times (own and connected calendars merged, repeats expanded), with the clashes',
  tags,
  query: z.strictObject({ from: IsoDateTime, to: IsoDateTime }),
  response: z.object({
    items: z.array(AgendaItem),
    conflicts: z.array(z.object({ a: z.string(), b: z.string() })),
    /** Connected CalDAV calendars an event can be written to. */
    writableCalendars: z.array(z.object({ connectorId: Id, name: z.string() })),
  }),
});

export const OwnEventView = z.object({
  id: Id,
  title: z.string(),
  notes: z.string(),
  location: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  allDay: z.boolean(),
  timeZone: z.string(),
  rrule: z.string().nullable(),
  attendees: z.array(z.string()),
  visibility: Visibility,
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
});
export type OwnEventView = z.infer<typeof OwnEventView>;

export const createEvent = endpoint({
  method: 'POST',
  path: '/api/v1/calendar/events',
  summary: 'Add an event to your own calendar, or (with connectorId) to a connected CalDAV calendar',
  tags,
  body: z.strictObject({
    title: Text(500).pipe(z.string().min(1, 'is required')),
    startsAt: IsoDateTime,
    endsAt: IsoDateTime,
    allDay: z.boolean().default(false),
    location: Text(500).optional(),
    notes: Text(10_000).optional(),
    rrule: Text(300).optional(),
    attendees: z.array(z.email().max(320)).max(50).optional(),
    visibility: Visibility.optional(),
    connectorId: Id.optional(),
  }),
  response: z.object({ source: z.enum(['own', 'connected']), eventId: Id }),
  status: 201,
});
const Params = z.strictObject({ eventId: Id });
export const getEvent = endpoint({
  method: 'GET',
  path: '/api/v1/calendar/events/:eventId',
  summary: 'One of your own events',
  tags,
  params: Params,
  response: OwnEventView,
});
export const updateEvent = endpoint({
  method: 'PATCH',
  path: '/api/v1/calendar/events/:eventId',
  summary: 'Change one of your own events',
  tags,
  params: Params,
  body: z.strictObject({
    title: Text(500).pipe(z.string().min(1)).optional(),
    startsAt: IsoDateTime.optional(),
    endsAt: IsoDateTime.optional(),
    location: Text(500).optional(),
    notes: Text(10_000).optional(),
    rrule: Text(300).nullable().optional(),
  }),
  response: OwnEventView,
});
export const deleteEvent = endpoint({
  method: 'DELETE',
  path: '/api/v1/calendar/events/:eventId',
  summary: 'Delete one of your own events',
  tags,
  params: Params,
  response: Ok,
});
