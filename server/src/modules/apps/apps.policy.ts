import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import type { Actor } from '#core/ctx.js';
import { AppError } from '#core/errors.js';

// The Family roles of PRODUCT.md for the apps' objects, and the recurrence arithmetic reminders and
// calendar events share. Pure: no database.

export type AppKind = 'note' | 'list' | 'reminder' | 'contact' | 'event';

const WORDS: Record<AppKind, string> = {
  note: 'notes',
  list: 'lists',
  reminder: 'reminders',
  contact: 'contacts',
  event: 'calendar events',
};
/** What a child may keep privately (PRODUCT.md: lists, notes, reminders, study cards). */
const CHILD_PRIVATE: readonly AppKind[] = ['note', 'list', 'reminder'];

/** In a personal space everything is private; in a family space shared unless asked otherwise. */
export function visibilityFor(actor: Actor, requested: 'shared' | 'private' | undefined): 'shared' | 'private' {
  return actor.spaceKind === 'family' ? (requested ?? 'shared') : 'private';
}

/** Who may create an object of this kind with this visibility (403 with the reason otherwise). */
export function assertMayCreate(actor: Actor, kind: AppKind, visibility: 'shared' | 'private'): void {
  if (actor.role !== 'child') return;
  if (!CHILD_PRIVATE.includes(kind))
    throw new AppError('forbidden', `Only an adult of the family can add ${WORDS[kind]}.`, { reason: 'child' });
  if (visibility === 'shared')
    throw new AppError('forbidden', `Only an adult of the family can add shared ${WORDS[kind]}; yours can be private.`, {
      reason: 'child',
    });
}

/** Changing or deleting an object: a child only their own private ones (others' private ones are 404 by RLS). */
export function assertMayEdit(actor: Actor, kind: AppKind, row: { visibility: string }): void {
  if (actor.role === 'child' && row.visibility !== 'private')
    throw new AppError('forbidden', `Only an adult of the family can change shared ${WORDS[kind]}.`, { reason: 'child' });
}

/** Items of a list: everyone who sees a list may add and tick items (children too, on shared lists). */
export function assertMayChangeItem(actor: Actor, list: { visibility: string }, change: 'add' | 'tick' | 'edit' | 'delete'): void {
  if (change === 'add' || change === 'tick') return;
  assertMayEdit(actor, 'list', list);
}

// ---------------------------------------------------------------- recurrence

/** Local wall-clock time of an instant in a zone, as `YYYY-MM-DDTHH:mm:ss` (an RRULE's DTSTART). */
export function localStamp(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat("yyyy-LL-dd'T'HH:mm:ss");
}

/** Checks an RRULE (without `RRULE:`): 400 in plain words when it is not one. */
export function checkRule(rrule: string): string {
  const rule = rrule.replace(/^RRULE:/i, '').trim();
  if (!/^FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;[A-Z]+=[A-Z0-9,+-:]+)*$/i.test(rule))
    throw new AppError('invalid_input', 'The repeat rule is not an RFC 5545 rule such as FREQ=WEEKLY;BYDAY=TU.', { field: 'rrule' });
  try {
    ICAL.Recur.fromString(rule);
  } catch {
    throw new AppError('invalid_input', 'The repeat rule could not be read.', { field: 'rrule' });
  }
  if (/FREQ=(SECONDLY|MINUTELY)/i.test(rule)) throw new AppError('invalid_input', 'Repeats more often than hourly are not supported.');
  return rule.toUpperCase();
}

/**
 * Occurrence starts of a rule anchored at `dtstart` (local wall-clock time in `timeZone`), in order,
 * that fall in [from, to); the same wall-clock time across daylight-saving changes. At most `max`.
 */
export function occurrencesBetween(rrule: string, dtstart: string, timeZone: string, from: Date, to: Date, max = 500): Date[] {
  const recur = ICAL.Recur.fromString(rrule);
  const it = recur.iterator(ICAL.Time.fromDateTimeString(dtstart));
  const out: Date[] = [];
  for (let i = 0; i < 50_000 && out.length < max; i++) {
    const t = it.next();
    if (!t) break;
    const at = DateTime.fromObject(
      { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second },
      { zone: timeZone },
    );
    if (!at.isValid) continue;
    const ms = at.toMillis();
    if (ms >= to.getTime()) break;
    if (ms >= from.getTime()) out.push(at.toJSDate());
  }
  return out;
}

/** The first occurrence strictly after `after`, or null when the rule has ended. */
export function nextOccurrence(rrule: string, dtstart: string, timeZone: string, after: Date): Date | null {
  const far = new Date(after.getTime() + 20 * 366 * 86_400_000);
  return occurrencesBetween(rrule, dtstart, timeZone, new Date(after.getTime() + 1), far, 1)[0] ?? null;
}

/** "Every Tuesday at 19:00" and similar, for people; the raw rule when it is unusual. */
export function describeRule(rrule: string | null, at: Date, timeZone: string, locale: 'en' | 'he' = 'en'): string | null {
  if (!rrule) return null;
  const parts = Object.fromEntries(rrule.split(';').map((p) => p.split('=') as [string, string]));
  const time = DateTime.fromJSDate(at, { zone: timeZone }).toFormat('HH:mm');
  const he = locale === 'he';
  const days: Record<string, [string, string]> = {
    MO: ['Monday', 'שני'],
    TU: ['Tuesday', 'שלישי'],
    WE: ['Wednesday', 'רביעי'],
    TH: ['Thursday', 'חמישי'],
    FR: ['Friday', 'שישי'],
    SA: ['Saturday', 'שבת'],
    SU: ['Sunday', 'ראשון'],
  };
  const every = Number(parts.INTERVAL ?? 1);
  if (parts.FREQ === 'DAILY' && every === 1) return he ? `כל יום ב־${time}` : `Every day at ${time}`;
  if (parts.FREQ === 'WEEKLY' && every === 1 && parts.BYDAY) {
    const list = parts.BYDAY.split(',').map((d) => days[d]?.[he ? 1 : 0] ?? d);
    return he ? `כל יום ${list.join(', ')} ב־${time}` : `Every ${list.join(', ')} at ${time}`;
  }
  if (parts.FREQ === 'WEEKLY' && every === 2 && parts.BYDAY) {
    const list = parts.BYDAY.split(',').map((d) => days[d]?.[he ? 1 : 0] ?? d);
    return he ? `כל שבועיים ביום ${list.join(', ')} ב־${time}` : `Every other ${list.join(', ')} at ${time}`;
  }
  if (parts.FREQ === 'MONTHLY' && parts.BYMONTHDAY && every === 1)
    return he ? `בכל ${parts.BYMONTHDAY} בחודש ב־${time}` : `Monthly on day ${parts.BYMONTHDAY} at ${time}`;
  if (parts.FREQ === 'YEARLY' && every === 1) return he ? `כל שנה ב־${time}` : `Every year at ${time}`;
  return rrule;
}
