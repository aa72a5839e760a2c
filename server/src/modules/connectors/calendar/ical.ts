// iCalendar parsing and expansion with ical.js. Recurrences (RRULE, RDATE, EXDATE, moved instances)
// are iterated in the event's own wall-clock time, and each occurrence is turned into UTC with the
// time zone of its TZID (IANA names through the platform's zone data, so daylight-saving changes
// land right; other names through the VTIMEZONE the file carries). A broken event is skipped with a
// problem in plain words; the rest of the calendar is kept.
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { AppError } from '#core/errors.js';
import { cleanText } from '../connectors.policy.js';

export interface Occurrence {
  startsAt: Date;
  endsAt: Date;
  allDay: boolean;
  summary: string;
  location: string;
}

export interface ParsedEvent {
  uid: string;
  summary: string;
  description: string;
  location: string;
  startsAt: Date;
  endsAt: Date;
  allDay: boolean;
  timeZone: string | null;
  recurring: boolean;
  /** The event's own VCALENDAR text (its VEVENTs and the time zones they use). */
  ics: string;
  contentHash: string;
  problem: string | null;
  occurrences: Occurrence[];
}

export interface ParsedCalendar {
  name: string | null;
  events: ParsedEvent[];
  /** One line per event that was skipped or shown approximately. */
  problems: string[];
}

const MAX_ITERATIONS = 20_000;
const MAX_OCCURRENCES = 1_000;
const MAX_EVENTS = 20_000;

function validZone(z: string): boolean {
  return DateTime.local().setZone(z).isValid;
}

interface Zones {
  vtimezones: Map<string, ICAL.Timezone>;
  fallback: string;
}

/** UTC instant of an ical.js time given its TZID; `problem` when the zone is unknown. */
function toUtc(t: ICAL.Time, tzid: string | null, zones: Zones): { date: Date; problem?: string } {
  if (t.isDate) return { date: new Date(Date.UTC(t.year, t.month - 1, t.day)) };
  const parts = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
  if (t.zone?.tzid === 'UTC') return { date: new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second)) };
  const zone = tzid ?? zones.fallback;
  if (validZone(zone)) return { date: DateTime.fromObject(parts, { zone }).toJSDate() };
  const vtz = zones.vtimezones.get(zone);
  if (vtz) {
    const local = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
    const probe = t.clone();
    return { date: new Date(local - vtz.utcOffset(probe) * 1000) };
  }
  // A zone named like Windows does it ("W. Europe Standard Time") without its VTIMEZONE: say so, keep the event.
  return {
    date: new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second)),
    problem: `uses an unknown time zone "${zone.slice(0, 60)}"; its times are shown as UTC`,
  };
}

function tzidOf(comp: ICAL.Component, prop: string): string | null {
  const p = comp.getFirstProperty(prop);
  const v = p?.getParameter('tzid');
  return typeof v === 'string' ? v : null;
}

const text = (comp: ICAL.Component, name: string, max: number) => {
  const v = comp.getFirstPropertyValue(name);
  return cleanText(typeof v === 'string' ? v : v ? String(v) : '', max);
};

/**
 * Parses an iCalendar text and expands each event into its occurrences between `from` and `to`.
 * Throws `invalid_input` only when the text is not a calendar at all.
 */
export function parseCalendar(source: string, window: { from: Date; to: Date }, fallbackZone = 'UTC'): ParsedCalendar {
  let root: ICAL.Component;
  try {
    const jcal = ICAL.parse(source.split('\u0000').join(''));
    root = new ICAL.Component(Array.isArray(jcal[0]) ? jcal[0] : jcal);
  } catch {
    throw new AppError('invalid_input', 'This is not a calendar file (iCalendar): it could not be read.', { reason: 'not_ics' });
  }
  if (root.name !== 'vcalendar')
    throw new AppError('invalid_input', 'This is not a calendar file (it has no VCALENDAR).', { reason: 'not_ics' });
  const calName = text(root, 'x-wr-calname', 200) || null;
  const calZone = text(root, 'x-wr-timezone', 64);
  const zones: Zones = { vtimezones: new Map(), fallback: calZone && validZone(calZone) ? calZone : fallbackZone };
  const vtzComps = root.getAllSubcomponents('vtimezone');
  for (const c of vtzComps) {
    try {
      const tz = new ICAL.Timezone(c);
      if (tz.tzid) zones.vtimezones.set(tz.tzid, tz);
    } catch {
      // a broken VTIMEZONE: events using it fall back as unknown zones
    }
  }
  const byUid = new Map<string, ICAL.Component[]>();
  const problems: string[] = [];
  let anonymous = 0;
  for (const ve of root.getAllSubcomponents('vevent').slice(0, MAX_EVENTS)) {
    const uid = text(ve, 'uid', 500) || `no-uid-${++anonymous}`;
    const list = byUid.get(uid) ?? [];
    list.push(ve);
    byUid.set(uid, list);
  }
  const events: ParsedEvent[] = [];
  for (const [uid, comps] of byUid) {
    try {
      const ev = expandOne(uid, comps, vtzComps, zones, window);
      if (ev.problem) problems.push(`"${ev.summary || uid}" ${ev.problem}`);
      events.push(ev);
    } catch (e) {
      const summary = text(comps[0]!, 'summary', 100);
      problems.push(`"${summary || uid}" was skipped: ${e instanceof Error ? e.message : 'it could not be read'}`);
    }
  }
  return { name: calName, events, problems };
}

function expandOne(
  uid: string,
  comps: ICAL.Component[],
  vtz: ICAL.Component[],
  zones: Zones,
  window: { from: Date; to: Date },
): ParsedEvent {
  const master = comps.find((c) => !c.getFirstProperty('recurrence-id')) ?? comps[0]!;
  if (!master.getFirstProperty('dtstart')) throw new Error('it has no start time (DTSTART)');
  const event = new ICAL.Event(master);
  for (const c of comps) if (c !== master && c.getFirstProperty('recurrence-id')) event.relateException(c);
  const problems = new Set<string>();
  const utc = (t: ICAL.Time, tzid: string | null) => {
    const r = toUtc(t, tzid, zones);
    if (r.problem) problems.add(r.problem);
    return r.date;
  };
  const startZone = tzidOf(master, 'dtstart');
  const endZone = tzidOf(master, 'dtend') ?? startZone;
  const start = event.startDate;
  const allDay = start.isDate;
  const startsAt = utc(start, startZone);
  const durationMs = (() => {
    const end = master.getFirstProperty('dtend') ? event.endDate : null;
    if (end) return Math.max(0, utc(end, endZone).getTime() - startsAt.getTime());
    const dur = master.getFirstPropertyValue('duration');
    if (dur && typeof (dur as ICAL.Duration).toSeconds === 'function') return Math.max(0, (dur as ICAL.Duration).toSeconds() * 1000);
    return allDay ? 86_400_000 : 0;
  })();
  if (Number.isNaN(startsAt.getTime())) throw new Error('its start time is not a valid date');
  const base = { summary: text(master, 'summary', 500), location: text(master, 'location', 500) };
  const occurrences: Occurrence[] = [];
  const recurring = event.isRecurring();
  if (!recurring) {
    const endsAt = new Date(startsAt.getTime() + durationMs);
    if (endsAt >= window.from && startsAt <= window.to) occurrences.push({ startsAt, endsAt, allDay, ...base });
  } else {
    const it = event.iterator();
    let steps = 0;
    for (let next = it.next(); next; next = it.next()) {
      if (++steps > MAX_ITERATIONS) {
        problems.add('repeats so often that only part of it is shown');
        break;
      }
      const d = event.getOccurrenceDetails(next);
      const itemComp = d.item.component;
      const s = utc(d.startDate, tzidOf(itemComp, 'dtstart') ?? startZone);
      if (s > window.to) break;
      const e =
        d.item === event
          ? new Date(s.getTime() + durationMs)
          : utc(d.endDate, tzidOf(itemComp, 'dtend') ?? tzidOf(itemComp, 'dtstart') ?? startZone);
      if (e < window.from) continue;
      occurrences.push({
        startsAt: s,
        endsAt: new Date(Math.max(e.getTime(), s.getTime())),
        allDay: d.startDate.isDate,
        summary: text(itemComp, 'summary', 500) || base.summary,
        location: text(itemComp, 'location', 500) || base.location,
      });
      if (occurrences.length >= MAX_OCCURRENCES) {
        problems.add(`repeats more than ${MAX_OCCURRENCES} times in the window; the first ${MAX_OCCURRENCES} are shown`);
        break;
      }
    }
  }
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.updatePropertyWithValue('version', '2.0');
  cal.updatePropertyWithValue('prodid', '-//connectsoft.me//connectors//EN');
  const used = new Set(comps.flatMap((c) => ['dtstart', 'dtend', 'exdate', 'recurrence-id'].map((p) => tzidOf(c, p)).filter(Boolean)));
  for (const z of vtz) if (used.has(String(z.getFirstPropertyValue('tzid')))) cal.addSubcomponent(new ICAL.Component(z.toJSON()));
  for (const c of comps) cal.addSubcomponent(new ICAL.Component(c.toJSON()));
  const ics = cal.toString();
  return {
    uid,
    summary: base.summary,
    description: text(master, 'description', 10_000),
    location: base.location,
    startsAt,
    endsAt: new Date(startsAt.getTime() + durationMs),
    allDay,
    timeZone: startZone,
    recurring,
    ics,
    contentHash: createHash('sha256').update(ics).digest('hex'),
    problem: problems.size ? [...problems].join('; ') : null,
    occurrences,
  };
}

/** A VCALENDAR with one event, for CalDAV writes. Times in UTC unless a time zone is given. */
export function buildEventIcs(e: {
  uid: string;
  summary: string;
  startsAt: Date;
  endsAt: Date;
  allDay?: boolean;
  location?: string;
  description?: string;
  now: Date;
}): string {
  const fmt = (d: Date) =>
    d
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
  const esc = (s: string) =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/([,;])/g, '\\$1');
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//connectsoft.me//connectors//EN',
    'BEGIN:VEVENT',
    `UID:${e.uid}`,
    `DTSTAMP:${fmt(e.now)}`,
    e.allDay ? `DTSTART;VALUE=DATE:${day(e.startsAt)}` : `DTSTART:${fmt(e.startsAt)}`,
    e.allDay ? `DTEND;VALUE=DATE:${day(e.endsAt)}` : `DTEND:${fmt(e.endsAt)}`,
    `SUMMARY:${esc(e.summary)}`,
    ...(e.location ? [`LOCATION:${esc(e.location)}`] : []),
    ...(e.description ? [`DESCRIPTION:${esc(e.description)}`] : []),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** The people an event names (organizer and attendees), as lower-case addresses, from its stored ICS. */
export function attendeesOf(ics: string): string[] {
  const out = new Set<string>();
  try {
    const root = new ICAL.Component(ICAL.parse(ics));
    for (const ve of root.getAllSubcomponents('vevent'))
      for (const p of [...ve.getAllProperties('attendee'), ...ve.getAllProperties('organizer')]) {
        const v = String(p.getFirstValue() ?? '')
          .replace(/^mailto:/i, '')
          .trim()
          .toLowerCase();
        if (/^[^\s@]+@[^\s@]+$/.test(v)) out.add(v);
      }
  } catch {
    // A stored event that no longer parses names nobody.
  }
  return [...out].slice(0, 100);
}
