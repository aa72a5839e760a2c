import { CronExpressionParser } from 'cron-parser';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';

/** A schedule as stored on an agent: the manifest's cron or RRULE, resolved to a concrete time zone. */
export interface AgentSchedule {
  cron?: string;
  rrule?: string;
  timeZone: string;
  /** The anchor of an RRULE (its first occurrence, local wall-clock time, ISO without offset). */
  dtstart?: string;
}

/** Replaces a cron's minute and hour with a person's chosen time (HH:MM), e.g. the morning briefing. */
export function cronAt(cron: string, hhmm: string | undefined): string {
  if (!hhmm || !/^\d{1,2}:\d{2}$/.test(hhmm)) return cron;
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  if (h > 23 || m > 59) return cron;
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) return cron;
  return [String(m), String(h), ...parts.slice(2)].join(' ');
}

/**
 * The first time strictly after `after` at which the schedule fires. Wall-clock times follow the
 * zone across daylight-saving changes (07:00 stays 07:00 local). Null when it never fires again.
 */
export function nextFireTime(s: AgentSchedule, after: Date): Date | null {
  if (s.cron) {
    const it = CronExpressionParser.parse(s.cron, { currentDate: after, tz: s.timeZone });
    return it.hasNext() ? it.next().toDate() : null;
  }
  if (s.rrule) {
    const start = s.dtstart ?? DateTime.fromJSDate(after, { zone: s.timeZone }).startOf('minute').toFormat("yyyy-LL-dd'T'HH:mm:ss");
    const recur = ICAL.Recur.fromString(s.rrule.replace(/^RRULE:/i, ''));
    const it = recur.iterator(ICAL.Time.fromDateTimeString(start));
    for (let i = 0; i < 100_000; i++) {
      const t = it.next();
      if (!t) return null;
      const at = DateTime.fromObject(
        { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second },
        { zone: s.timeZone },
      );
      if (!at.isValid) continue; // a wall-clock time skipped by a DST change
      if (at.toMillis() > after.getTime()) return at.toJSDate();
    }
    return null;
  }
  return null;
}

/** Checks that a schedule can fire at all (an invalid cron or RRULE is refused at install). */
export function validateSchedule(s: AgentSchedule): string | null {
  try {
    const n = nextFireTime(s, new Date(Date.UTC(2026, 0, 1)));
    return n ? null : 'the schedule never fires';
  } catch (e) {
    return `the schedule is not valid: ${(e as Error).message}`;
  }
}

/** "Every day at 07:00 (Europe/Berlin)" for people; cron and RRULE in a few common shapes, else the raw rule. */
export function describeSchedule(s: AgentSchedule): string {
  if (s.cron) {
    const [m, h, dom, mon, dow] = s.cron.split(/\s+/);
    const time = /^\d+$/.test(h ?? '') && /^\d+$/.test(m ?? '') ? `${h!.padStart(2, '0')}:${m!.padStart(2, '0')}` : null;
    const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
    if (time && dom === '*' && mon === '*' && dow === '*') return `Every day at ${time} (${s.timeZone})`;
    if (time && dom === '*' && mon === '*' && /^\d$/.test(dow ?? '')) return `Every ${days[Number(dow)]} at ${time} (${s.timeZone})`;
    if (time && dom === '*' && mon === '*' && dow === '1-5') return `Weekdays at ${time} (${s.timeZone})`;
    if (/^\*\/(\d+)$/.test(m ?? '') && h === '*') return `Every ${m!.slice(2)} minutes`;
    return `cron "${s.cron}" (${s.timeZone})`;
  }
  return `RRULE ${s.rrule} (${s.timeZone})`;
}
