// The local date engine shared by dates.extract, reminders.parse and email.triage: chrono-node finds
// the words and their calendar fields; the instant is then built here in the person's IANA zone
// (luxon), because chrono only knows fixed offsets and would be an hour off across a DST change.
import { createRequire } from 'node:module';
import type * as chrono from 'chrono-node/en';
import { DateTime } from 'luxon';
import { atLocal, isValidDate, type LocalDate } from './time.js';

type Components = chrono.ParsedResult['start'];

export type When = { allDay: true; date: LocalDate } | { allDay: false; at: DateTime };
export interface FoundDate {
  text: string;
  index: number;
  start: When;
  end?: When;
}

/** Zones whose people write 3/12 for March 12; everyone else reads it as 3 December. */
const MONTH_FIRST_ZONES =
  /^(America\/(?!Sao_Paulo|Argentina|Buenos_Aires|Bogota|Lima|Santiago|Caracas|Montevideo|Asuncion|La_Paz|Mexico_City|Havana)|US\/|Pacific\/Honolulu|Canada\/|Asia\/Manila)/;

const WEEKDAY_WORD = '(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?';
const ORDINAL_DAY = new RegExp(
  `\\b(?:on\\s+)?(?:${WEEKDAY_WORD},?\\s+(?:the\\s+)?|the\\s+)(\\d{1,2})(?:st|nd|rd|th)\\b` +
    '(?!\\s*(?:of\\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))' +
    '(?![\\s-]*(?:week|weekend|time|floor|place|quarter|round|item|one|grade|century|year|day|row|page|chapter|step|option|edition|anniversary|birthday|attempt|person|party|line|draft|version|season|episode|level|term|semester|of\\s+(?:the|these|those|them|us|you|all|my|our|their)\\b))',
  'i',
);

/** The next date after today with this day of the month (a month without that day is skipped, never invented). */
function nextDayOfMonth(context: Parameters<chrono.Parser['extract']>[0], day: number) {
  const ref = context.reference.getDateWithAdjustedTimezone();
  let y = ref.getUTCFullYear();
  let m = ref.getUTCMonth() + 1;
  if (day <= ref.getUTCDate()) m++;
  for (let i = 0; i < 24; i++, m++) {
    if (m > 12) {
      m = 1;
      y++;
    }
    if (isValidDate({ year: y, month: m, day })) return { year: y, month: m, day };
  }
  return null;
}

/** "on the 15th", "Monday 26th": the next such day after today. */
const ordinalDayParser: chrono.Parser = {
  pattern: () => ORDINAL_DAY,
  extract: (context, match) => {
    const day = Number(match[1]);
    if (day < 1 || day > 31) return null;
    const date = nextDayOfMonth(context, day);
    if (!date) return null;
    const c = context.createParsingComponents(date);
    c.addTag('skills/ordinalDay');
    return c;
  },
};

/** "2.4." and "2.4.2026": how Germans, Israelis and most of the world write 2 April. */
const dottedDateParser: chrono.Parser = {
  pattern: () => /(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})?(?![\d.]|\.\d)/,
  extract: (context, match) => {
    const day = Number(match[1]);
    const month = Number(match[2]);
    if (month < 1 || month > 12 || day < 1 || day > 31) return null;
    if (match[3]) return isValidDate({ year: Number(match[3]), month, day }) ? { day, month, year: Number(match[3]) } : null;
    const ref = context.reference.getDateWithAdjustedTimezone();
    let year = ref.getUTCFullYear();
    if (month < ref.getUTCMonth() + 1 || (month === ref.getUTCMonth() + 1 && day < ref.getUTCDate())) year++;
    return isValidDate({ year, month, day }) ? { day, month, year } : null;
  },
};

function engines(en: typeof chrono) {
  const us = en.casual.clone();
  us.parsers.push(ordinalDayParser);
  // chrono's GB configuration misreads "April 12" as April 2012; keep the casual English parsers and
  // swap only the numeric one for its little-endian reading (3/12 is 3 December).
  const le = en.casual.clone();
  const slash = le.parsers.findIndex((p) => p.constructor.name === 'SlashDateFormatParser');
  if (slash >= 0) {
    const Slash = le.parsers[slash]!.constructor as new (littleEndian: boolean) => chrono.Parser;
    le.parsers[slash] = new Slash(true);
  }
  le.parsers.push(ordinalDayParser, dottedDateParser);
  return { us, le };
}
let cached: ReturnType<typeof engines> | null = null;

/** Loads chrono (about 0.1 s) on first use, so `csme skill list` and skills without dates never pay for it. */
export async function loadDateEngine(): Promise<void> {
  // Through require: chrono's 260 CommonJS files load in this thread, not one by one through the
  // ESM loader hooks tsx runs in a worker thread (twice as slow to start a CLI on a busy machine).
  cached ??= engines(createRequire(import.meta.url)('chrono-node/en') as typeof chrono);
}

function whenOf(c: Components, text: string, tags: Set<string>, now: DateTime): When | null {
  const zone = now.zoneName!;
  const date = { year: c.get('year')!, month: c.get('month')!, day: c.get('day')! };
  if (!isValidDate(date)) return null;
  if (tags.has('result/relativeDateAndTime') || c.isCertain('timezoneOffset')) {
    // "in 2 hours", "3pm UTC": an instant, whatever the wall clock says.
    return { allDay: false, at: DateTime.fromJSDate(c.date()).setZone(zone) };
  }
  if (!c.isCertain('hour')) return { allDay: true, date };
  let hour = c.get('hour')!;
  // "call at 5": people mean the afternoon; "05:00" written with a zero stays early morning.
  if (!c.isCertain('meridiem') && hour >= 1 && hour <= 6 && !/\b0\d[:.]\d\d/.test(text)) {
    hour += 12;
    if (!c.isCertain('day') && !c.isCertain('weekday')) {
      // chrono moved the early-morning reading to tomorrow; the afternoon one may still be today.
      const today = atLocal(zone, { year: now.year, month: now.month, day: now.day, hour, minute: c.get('minute') ?? 0 });
      const at = today > now ? today : today.plus({ days: 1 });
      return { allDay: false, at };
    }
  }
  const at = atLocal(zone, { ...date, hour, minute: c.get('minute') ?? 0, second: c.get('second') ?? 0 });
  return at.isValid ? { allDay: false, at } : null;
}

function sameWhen(a: When, b: When): boolean {
  if (a.allDay !== b.allDay) return false;
  if (a.allDay && b.allDay) return a.date.year === b.date.year && a.date.month === b.date.month && a.date.day === b.date.day;
  return !a.allDay && !b.allDay && a.at.toMillis() === b.at.toMillis();
}

const SKIP = /^(now|right now|today's|at once|(?:the|this|next|last)?\s*week-?end|(?:the\s+)?(?:last|first|same|one|some|other)\s+day)$/i;
/** Words chrono reads as dates that, alone, mostly are not: "sat" (the verb), "sun", "second" ... */
const WEAK = /^(sat|sun|mon|wed|thu|fri|tue|tues|thurs|second|march|may|this|the)$/i;

/**
 * Every date or date range the text mentions, resolved forward from `now` in `now`'s zone.
 * A bare weekday is the next such day after today; "31 February" and the like are not dates.
 */
export function findDates(text: string, now: DateTime): FoundDate[] {
  if (!text.trim()) return [];
  if (!cached) throw new Error('the date engine is not loaded: await loadDateEngine() first');
  const zone = now.zoneName!;
  const engine = MONTH_FIRST_ZONES.test(zone) ? cached.us : cached.le;
  // chrono reads "from 2 to 4 pm" but not "between 2 and 4 pm"; emoji split "Saturday 🎉 at 8pm" in two;
  // "from 1 July" reads as 1 o'clock. Same-length rewrites keep the indexes.
  const prepared = text
    .replace(/\bbetween(\s+\d{1,2}(?::\d\d)?\s*(?:am|pm)?\s+)and(?=\s+\d)/gi, 'from   $1to ')
    .replace(/\p{Extended_Pictographic}|\u200d|\ufe0f|[·•|]/gu, (m) => ' '.repeat(m.length))
    .replace(
      /\b(from|since|between)(?=\s+\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))/gi,
      (m) => ' '.repeat(m.length),
    );
  const reference = { instant: now.toJSDate(), timezone: now.offset };
  const results = engine.parse(prepared, reference, { forwardDate: true }).flatMap((r) => {
    // "evening on Wednesday 21 October at 17:30": chrono takes the day from "evening" (today); read what follows alone.
    const part = /^(?:this\s+)?(?:morning|afternoon|evening|night)\s+(?=\S)/i.exec(r.text);
    // "last Friday" is behind us: only words that point back are read backwards.
    if (/\b(?:last|previous|past)\b/i.test(r.text))
      return engine.parse(r.text, reference, { forwardDate: false }).map((x) => ({ r: x, index: x.index + r.index }));
    if (!part) return [{ r, index: r.index }];
    return engine
      .parse(r.text.slice(part[0].length), reference, { forwardDate: true })
      .map((x) => ({ r: x, index: x.index + r.index + part[0].length }));
  });
  const today = { year: now.year, month: now.month, day: now.day };
  const out: FoundDate[] = [];
  for (const { r, index } of results) {
    const words = text.slice(index, index + r.text.length).trim();
    if (SKIP.test(words) || WEAK.test(words)) continue;
    const tags = r.tags();
    // A month alone ("in April") names no day: never invent one.
    if (!r.start.isCertain('day') && !r.start.isCertain('weekday') && !r.start.isCertain('hour')) continue;
    const start = whenOf(r.start, words, tags, now);
    if (!start) continue;
    const end = r.end ? whenOf(r.end, words, tags, now) : undefined;
    if (end === null) continue;
    // A bare weekday ("Tuesday", "on Tue at 3pm") is the next such day after today, not today.
    const weekdayOnly = r.start.isCertain('weekday') && !r.start.isCertain('day') && !/\b(this|today|tonight)\b/i.test(words);
    const startDate = start.allDay ? start.date : start.at;
    const isToday = startDate.year === today.year && startDate.month === today.month && startDate.day === today.day;
    const week = weekdayOnly && isToday ? 7 : 0;
    const shift = (w: When): When =>
      w.allDay
        ? { allDay: true, date: pick(DateTime.fromObject(pick(w.date), { zone: 'UTC' }).plus({ days: week })) }
        : { allDay: false, at: w.at.plus({ days: week }) };
    let s = shift(start);
    let e = end ? shift(end) : undefined;
    if (e && s.allDay !== e.allDay) {
      // "Friday 9am to Monday": keep both as days.
      s = { allDay: true, date: s.allDay ? s.date : pick(s.at) };
      e = { allDay: true, date: e.allDay ? e.date : pick(e.at) };
    }
    if (e && sameWhen(s, e)) e = undefined;
    out.push({ text: words, index, start: s, ...(e ? { end: e } : {}) });
  }
  return out;
}

function pick(d: LocalDate): LocalDate {
  return { year: d.year, month: d.month, day: d.day };
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_WORD =
  '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const MAX_DAY = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A day the calendar does not have ("31 February", "April 31st", "Feb 29 2027"), as written, or null. */
export function impossibleDate(text: string): string | null {
  const patterns = [
    new RegExp(`\\b${MONTH_WORD}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?\\b`, 'gi'),
    new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_WORD}\\b(?:,?\\s+(\\d{4}))?`, 'gi'),
  ];
  for (const [k, re] of patterns.entries()) {
    for (const m of text.matchAll(re)) {
      const [monthWord, dayText] = k === 0 ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
      const month = MONTH_NAMES.indexOf(monthWord.slice(0, 3).toLowerCase()) + 1;
      const day = Number(dayText);
      const year = m[3] ? Number(m[3]) : null;
      if (day < 1) continue;
      if (day > MAX_DAY[month - 1]! || (year !== null && !isValidDate({ year, month, day }))) return m[0];
    }
  }
  return null;
}
