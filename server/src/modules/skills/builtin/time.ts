// Wall-clock time in a named zone. chrono-node ignores IANA zone names (STACK.md §7), so the skills
// compute the zone's offset at the instant in question themselves, with luxon, across DST changes.
import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import { AppError } from '#core/errors.js';
import type { SkillContext } from '#core/skill.js';

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}
export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
  second?: number;
}

/** `now` and `timeZone` of a skill input, falling back to the caller's clock and zone. */
export function nowIn(sctx: SkillContext, input: { now?: string; timeZone?: string }): DateTime {
  const zone = input.timeZone ?? sctx.timeZone;
  if (!IANAZone.isValidZone(zone)) throw new AppError('invalid_input', `timeZone: ${zone} is not an IANA time zone`);
  const now = input.now ? instantIn(input.now, zone) : DateTime.fromJSDate(sctx.now);
  if (!now.isValid) throw new AppError('invalid_input', 'now: is not a valid date-time');
  return now.setZone(zone);
}

/** The instant a wall-clock time names in `zone`. In a spring-forward gap the time moves forward, as RFC 5545 says. */
export function atLocal(zone: string, t: LocalDateTime): DateTime {
  return DateTime.fromObject({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second ?? 0 }, { zone });
}

export function isValidDate(d: LocalDate): boolean {
  return DateTime.fromObject({ year: d.year, month: d.month, day: d.day }, { zone: 'UTC' }).isValid;
}

/** An ISO 8601 value with its own offset, or a wall-clock time (no offset) in `zone`. */
export function instantIn(value: string, zone: string): DateTime {
  return /(?:Z|[+-]\d\d(?::?\d\d)?)$/.test(value) ? DateTime.fromISO(value, { setZone: true }) : DateTime.fromISO(value, { zone });
}

/** `2026-03-08T15:00:00-04:00`: seconds kept, milliseconds dropped, the zone's offset at that instant. */
export function isoInstant(dt: DateTime): string {
  return dt.set({ millisecond: 0 }).toISO({ suppressMilliseconds: true, includeOffset: true })!;
}

export function isoDate(d: LocalDate | DateTime): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

const MAX_OCCURRENCES = 50_000;

/** Removes an `RRULE:` prefix and checks the rule parses; returns it normalised. */
function parseRrule(rule: string, where = 'rrule'): ICAL.Recur {
  const text = rule.trim().replace(/^RRULE:/i, '');
  let recur: ICAL.Recur;
  try {
    recur = ICAL.Recur.fromString(text);
  } catch (e) {
    throw new AppError('invalid_input', `${where}: ${(e as Error).message}`, { issues: [{ path: where, message: (e as Error).message }] });
  }
  if (!recur.freq)
    throw new AppError('invalid_input', `${where}: needs FREQ, e.g. FREQ=WEEKLY;BYDAY=TU`, {
      issues: [{ path: where, message: 'needs FREQ' }],
    });
  return recur;
}

/**
 * The occurrences of a recurring event whose first occurrence starts at `start`, each at the same
 * wall-clock time in `zone` (so 09:00 stays 09:00 across a daylight-saving change), up to `until`.
 * The first occurrence (DTSTART) always counts, as RFC 5545 says.
 */
export function expandRrule(rule: string, start: DateTime, zone: string, until: DateTime, where = 'rrule'): DateTime[] {
  const recur = parseRrule(rule, where);
  const local = start.setZone(zone);
  if (recur.until && recur.until.zone === ICAL.Timezone.utcTimezone) {
    // UNTIL in UTC is an instant: compare with our floating local times in the event's zone.
    const u = DateTime.fromObject(
      {
        year: recur.until.year,
        month: recur.until.month,
        day: recur.until.day,
        hour: recur.until.hour,
        minute: recur.until.minute,
        second: recur.until.second,
      },
      { zone: 'UTC' },
    ).setZone(zone);
    recur.until = ICAL.Time.fromData({
      year: u.year,
      month: u.month,
      day: u.day,
      hour: u.hour,
      minute: u.minute,
      second: u.second,
      isDate: false,
    });
  }
  const dtstart = ICAL.Time.fromData({
    year: local.year,
    month: local.month,
    day: local.day,
    hour: local.hour,
    minute: local.minute,
    second: local.second,
    isDate: false,
  });
  const out: DateTime[] = [start];
  const it = recur.iterator(dtstart);
  const untilMs = until.toMillis();
  for (let i = 0; ; i++) {
    if (i > MAX_OCCURRENCES)
      throw new AppError('invalid_input', `${where}: repeats more than ${MAX_OCCURRENCES} times in the window; narrow the window`);
    const next = it.next();
    if (!next) break;
    const at = atLocal(zone, {
      year: next.year,
      month: next.month,
      day: next.day,
      hour: next.hour,
      minute: next.minute,
      second: next.second,
    });
    if (at.toMillis() > untilMs) break;
    if (at.toMillis() !== start.toMillis()) out.push(at);
  }
  return out;
}
