import { RemindersParseInput, RemindersParseOutput } from '@csme/contracts/skills';
import type { DateTime } from 'luxon';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { findDates, impossibleDate, loadDateEngine } from './dates.js';
import { NUMBER_WORDS } from './text.js';
import { atLocal, isoInstant, isValidDate, nowIn } from './time.js';

/** A recurrence the reminder text says, before its first occurrence is known. */
interface Rule {
  freq: 'HOURLY' | 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval: number;
  byDay?: string[];
  byMonthDay?: number;
  /** More days of the month ("the 15th and 30th of every month"). */
  alsoMonthDays?: number[];
  byMonth?: number;
  bySetPos?: number;
  count?: number;
  /** The last instant an occurrence may start. */
  until?: DateTime;
}

const DAYS: Record<string, string> = {
  mon: 'MO',
  monday: 'MO',
  tue: 'TU',
  tues: 'TU',
  tuesday: 'TU',
  wed: 'WE',
  weds: 'WE',
  wednesday: 'WE',
  thu: 'TH',
  thur: 'TH',
  thurs: 'TH',
  thursday: 'TH',
  fri: 'FR',
  friday: 'FR',
  sat: 'SA',
  saturday: 'SA',
  sun: 'SU',
  sunday: 'SU',
};
const DAY_ORDER = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const WEEKDAY = '(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)s?';
const DAY_LIST = `${WEEKDAY}(?:\\s*(?:,|/|&|\\band\\b|\\bor\\b)\\s*(?:on\\s+)?${WEEKDAY})*`;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
/** "every other week", "every second Tuesday" (every other), "every third day". */
const REPEAT_WORDS: Record<string, number> = { ...NUMBER_WORDS, other: 2, second: 2, third: 3 };
const NUM = '(\\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|other|second|third)';
const ORDINALS: Record<string, number> = {
  first: 1,
  '1st': 1,
  second: 2,
  '2nd': 2,
  third: 3,
  '3rd': 3,
  fourth: 4,
  '4th': 4,
  fifth: 5,
  '5th': 5,
  last: -1,
};
const ORDINAL = '(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)';
const EVERY = '(?:every|each|once\\s+a|once\\s+every)';

const num = (s: string) => REPEAT_WORDS[s.toLowerCase()] ?? Number(s);
const daysIn = (list: string) => {
  const found = new Set<string>();
  for (const w of list.toLowerCase().match(new RegExp(WEEKDAY, 'g')) ?? []) {
    const d = DAYS[w.replace(/s$/, '')] ?? DAYS[w];
    if (d) found.add(d);
  }
  return DAY_ORDER.filter((d) => found.has(d));
};
const monthOf = (s: string) => MONTHS.indexOf(s.slice(0, 3).toLowerCase()) + 1;

interface Found {
  rule: Rule;
  span: [number, number];
  /** Where a day the rule took from elsewhere in the text stands ("on the 15th every 3 months"). */
  extra?: [number, number];
}

/** "every 3 months on the 15th", "weekly ... on Fridays": a day said apart from the repeat words. */
function refine(text: string, found: Found): [number, number] | undefined {
  const { rule } = found;
  const outside = (m: RegExpExecArray) => m.index + m[0].length <= found.span[0] || m.index >= found.span[1];
  if (rule.freq === 'MONTHLY' && rule.byMonthDay === undefined && !rule.byDay) {
    const m = /\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b/i.exec(text);
    if (m && outside(m) && Number(m[1]) >= 1 && Number(m[1]) <= 31) {
      rule.byMonthDay = Number(m[1]);
      return [m.index, m.index + m[0].length];
    }
  }
  if (rule.freq === 'WEEKLY' && !rule.byDay) {
    const m = new RegExp(`\\bon\\s+(${DAY_LIST})\\b`, 'i').exec(text);
    if (m && outside(m)) {
      rule.byDay = daysIn(m[1]!);
      return [m.index, m.index + m[0].length];
    }
  }
  if (rule.freq === 'YEARLY' && !rule.byMonth) {
    const m =
      new RegExp(`\\b(?:on\\s+)?(?:the\\s+)?(${MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'i').exec(text) ??
      new RegExp(`\\b(?:on\\s+)?(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH})\\b`, 'i').exec(text);
    if (m && outside(m)) {
      const [month, day] = /^\d/.test(m[1]!) ? [monthOf(m[2]!), Number(m[1])] : [monthOf(m[1]!), Number(m[2])];
      if (isValidDate({ year: 2024, month, day })) {
        rule.byMonth = month;
        rule.byMonthDay = day;
        return [m.index, m.index + m[0].length];
      }
    }
  }
  return undefined;
}

/** The first recurrence phrase of the text, with where it stands (so the title can leave it out). */
function findRule(text: string): Found | null {
  const tries: Array<[RegExp, (m: RegExpExecArray) => Rule | null]> = [
    // the 1st of every month, on the 15th of each month, every month on the 3rd
    [
      new RegExp(`\\b(?:on\\s+)?the\\s+(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:day\\s+)?of\\s+${EVERY}\\s+(?:${NUM}\\s+)?months?\\b`, 'i'),
      (m) => ({ freq: 'MONTHLY', interval: m[2] ? num(m[2]) : 1, byMonthDay: Number(m[1]) }),
    ],
    [
      new RegExp(
        `\\b(?:on\\s+)?the\\s+(\\d{1,2})(?:st|nd|rd|th)?((?:\\s*(?:,|and|&)\\s*(?:the\\s+)?\\d{1,2}(?:st|nd|rd|th)?)+)\\s+(?:days?\\s+)?of\\s+${EVERY}\\s+months?\\b`,
        'i',
      ),
      (m) => ({ freq: 'MONTHLY', interval: 1, byMonthDay: Number(m[1]), alsoMonthDays: (m[2]!.match(/\d{1,2}/g) ?? []).map(Number) }),
    ],
    [
      new RegExp(`\\b(?:on\\s+)?the\\s+first(?:\\s+day)?\\s+of\\s+${EVERY}\\s+(?:${NUM}\\s+)?months?\\b`, 'i'),
      (m) => ({ freq: 'MONTHLY', interval: m[1] ? num(m[1]) : 1, byMonthDay: 1 }),
    ],
    [
      new RegExp(`\\b${EVERY}\\s+(?:${NUM}\\s+)?months?\\s+on\\s+the\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'i'),
      (m) => ({ freq: 'MONTHLY', interval: m[1] ? num(m[1]) : 1, byMonthDay: Number(m[2]) }),
    ],
    [/\bmonthly\s+on\s+the\s+(\d{1,2})(?:st|nd|rd|th)?\b/i, (m) => ({ freq: 'MONTHLY', interval: 1, byMonthDay: Number(m[1]) })],
    [/\b(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\s+monthly\b/i, (m) => ({ freq: 'MONTHLY', interval: 1, byMonthDay: Number(m[1]) })],
    // the last day of every month, end of each month
    [
      new RegExp(`\\b(?:on\\s+)?(?:the\\s+)?(?:last\\s+day|end)\\s+of\\s+(?:${EVERY}|the)\\s+month\\b`, 'i'),
      () => ({ freq: 'MONTHLY', interval: 1, byMonthDay: -1 }),
    ],
    [new RegExp(`\\b${EVERY}\\s+month\\s+on\\s+the\\s+last\\s+day\\b`, 'i'), () => ({ freq: 'MONTHLY', interval: 1, byMonthDay: -1 })],
    // the last weekday (working day) of every month
    [
      new RegExp(
        `\\b(?:on\\s+)?(?:the\\s+)?(first|last)\\s+(?:weekday|working\\s+day|business\\s+day)\\s+of\\s+(?:${EVERY}|the)\\s+month\\b`,
        'i',
      ),
      (m) => ({ freq: 'MONTHLY', interval: 1, byDay: ['MO', 'TU', 'WE', 'TH', 'FR'], bySetPos: m[1]!.toLowerCase() === 'first' ? 1 : -1 }),
    ],
    // the first Monday of every month, every last Friday of the month, on the second Tuesday of each month
    [
      new RegExp(
        `\\b(?:${EVERY}\\s+|on\\s+)?(?:the\\s+)?${ORDINAL}\\s+(${WEEKDAY})\\s+(?:of\\s+(?:${EVERY}|the)\\s+month|${EVERY}\\s+month|monthly)\\b`,
        'i',
      ),
      (m) => ({ freq: 'MONTHLY', interval: 1, byDay: [`${ORDINALS[m[1]!.toLowerCase()]}${daysIn(m[2]!)[0]}`] }),
    ],
    [
      new RegExp(`\\b${EVERY}\\s+${ORDINAL}\\s+(${WEEKDAY})\\b`, 'i'),
      (m) => ({ freq: 'MONTHLY', interval: 1, byDay: [`${ORDINALS[m[1]!.toLowerCase()]}${daysIn(m[2]!)[0]}`] }),
    ],
    // every year on March 3, every 3 March, each year on the 4th of July, on June 5 every year, annually on 1 Jan
    [
      new RegExp(`\\b(?:${EVERY}\\s+year|yearly|annually)\\s+(?:on\\s+)?(?:the\\s+)?(${MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'i'),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[1]!), byMonthDay: Number(m[2]) }),
    ],
    [
      new RegExp(
        `\\b(?:${EVERY}\\s+year|yearly|annually)\\s+(?:on\\s+)?(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH})\\b`,
        'i',
      ),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[2]!), byMonthDay: Number(m[1]) }),
    ],
    [
      new RegExp(
        `\\b(?:on\\s+)?(?:the\\s+)?(${MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(?:${EVERY}\\s+year|yearly|annually)\\b`,
        'i',
      ),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[1]!), byMonthDay: Number(m[2]) }),
    ],
    [
      new RegExp(
        `\\b(?:on\\s+)?(?:the\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH}),?\\s+(?:${EVERY}\\s+year|yearly|annually)\\b`,
        'i',
      ),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[2]!), byMonthDay: Number(m[1]) }),
    ],
    [
      new RegExp(`\\b${EVERY}\\s+(${MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, 'i'),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[1]!), byMonthDay: Number(m[2]) }),
    ],
    [
      new RegExp(`\\b${EVERY}\\s+(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH})\\b`, 'i'),
      (m) => ({ freq: 'YEARLY', interval: 1, byMonth: monthOf(m[2]!), byMonthDay: Number(m[1]) }),
    ],
    // every other Tuesday, every 2 weeks on Friday, every second week on Mon and Thu, biweekly on Fridays
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+(${DAY_LIST})\\b`, 'i'), (m) => ({ freq: 'WEEKLY', interval: num(m[1]!), byDay: daysIn(m[2]!) })],
    [
      new RegExp(`\\b${EVERY}\\s+${NUM}\\s+weeks?\\s+on\\s+(${DAY_LIST})\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: num(m[1]!), byDay: daysIn(m[2]!) }),
    ],
    [
      new RegExp(`\\b(?:on\\s+)?(${DAY_LIST})\\s+${EVERY}\\s+${NUM}\\s+weeks?\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: num(m[2]!), byDay: daysIn(m[1]!) }),
    ],
    [
      new RegExp(`\\b(?:bi-?weekly|fortnightly)\\s+on\\s+(${DAY_LIST})\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: 2, byDay: daysIn(m[1]!) }),
    ],
    [
      new RegExp(`\\b(?:on\\s+)?(${DAY_LIST})\\s+(?:bi-?weekly|fortnightly)\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: 2, byDay: daysIn(m[1]!) }),
    ],
    // every weekday, on weekdays, every weekend
    [
      /\b(?:every|each|on)\s+(?:weekday|work\s?day|working\s+day|business\s+day)s?\b|\bweekdays\b/i,
      () => ({ freq: 'WEEKLY', interval: 1, byDay: ['MO', 'TU', 'WE', 'TH', 'FR'] }),
    ],
    [/\b(?:every|each|on)\s+weekends?\b|\bweekends\b/i, () => ({ freq: 'WEEKLY', interval: 1, byDay: ['SA', 'SU'] })],
    // every Tuesday, each Mon/Wed/Fri, on Tuesdays and Thursdays, weekly on Monday, Mondays
    [new RegExp(`\\b${EVERY}\\s+(${DAY_LIST})\\b`, 'i'), (m) => ({ freq: 'WEEKLY', interval: 1, byDay: daysIn(m[1]!) })],
    [
      new RegExp(`\\b(?:${EVERY}\\s+week|weekly)\\s+on\\s+(${DAY_LIST})\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: 1, byDay: daysIn(m[1]!) }),
    ],
    [
      new RegExp(`\\b(?:on\\s+)?(${DAY_LIST})\\s+(?:${EVERY}\\s+week|weekly)\\b`, 'i'),
      (m) => ({ freq: 'WEEKLY', interval: 1, byDay: daysIn(m[1]!) }),
    ],
    [
      new RegExp(
        `\\b(?:on\\s+)?((?:${WEEKDAY.replace(/s\?$/, '')}s)(?:\\s*(?:,|/|&|\\band\\b)\\s*(?:${WEEKDAY.replace(/s\?$/, '')}s))*)\\b`,
        'i',
      ),
      (m) => (/^(sats?|suns?|weds|tues|thurs)$/i.test(m[1]!) ? null : { freq: 'WEEKLY', interval: 1, byDay: daysIn(m[1]!) }),
    ],
    // every 3 days, every other day, every 2 hours, every 3 months, every other week, every 2 years
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+hours?\\b`, 'i'), (m) => ({ freq: 'HOURLY', interval: num(m[1]!) })],
    [/\b(?:every|each)\s+hour\b|\bhourly\b/i, () => ({ freq: 'HOURLY', interval: 1 })],
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+days?\\b`, 'i'), (m) => ({ freq: 'DAILY', interval: num(m[1]!) })],
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+weeks?\\b`, 'i'), (m) => ({ freq: 'WEEKLY', interval: num(m[1]!) })],
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+months?\\b`, 'i'), (m) => ({ freq: 'MONTHLY', interval: num(m[1]!) })],
    [new RegExp(`\\b${EVERY}\\s+${NUM}\\s+years?\\b`, 'i'), (m) => ({ freq: 'YEARLY', interval: num(m[1]!) })],
    [/\b(?:bi-?weekly|fortnightly|every\s+fortnight)\b/i, () => ({ freq: 'WEEKLY', interval: 2 })],
    [/\b(?:every|each)\s+quarter\b|\bquarterly\b/i, () => ({ freq: 'MONTHLY', interval: 3 })],
    [
      /\b(?:every|each)\s+(?:single\s+)?(?:day|morning|evening|night|afternoon)\b|\b(?:daily|nightly)\b|\bonce\s+a\s+day\b/i,
      () => ({ freq: 'DAILY', interval: 1 }),
    ],
    [/\b(?:every|each|once\s+a)\s+week\b|\bweekly\b/i, () => ({ freq: 'WEEKLY', interval: 1 })],
    [/\b(?:every|each|once\s+a)\s+month\b|\bmonthly\b/i, () => ({ freq: 'MONTHLY', interval: 1 })],
    [/\b(?:every|each|once\s+a)\s+year\b|\b(?:yearly|annually)\b/i, () => ({ freq: 'YEARLY', interval: 1 })],
  ];
  for (const [re, make] of tries) {
    const m = re.exec(text);
    if (!m) continue;
    const rule = make(m);
    if (!rule || (rule.byDay && rule.byDay.length === 0) || !(rule.interval >= 1)) continue;
    if (rule.byMonthDay !== undefined && (rule.byMonthDay === 0 || rule.byMonthDay > 31)) continue;
    if (
      rule.byMonth !== undefined &&
      rule.byMonthDay !== undefined &&
      !isValidDate({ year: 2024, month: rule.byMonth, day: rule.byMonthDay })
    )
      continue;
    const found: Found = { rule, span: [m.index, m.index + m[0].length] };
    return { ...found, extra: refine(text, found) };
  }
  return null;
}

function ruleText(r: Rule): string {
  const parts = [`FREQ=${r.freq}`];
  if (r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.byMonth) parts.push(`BYMONTH=${r.byMonth}`);
  if (r.byMonthDay !== undefined) parts.push(`BYMONTHDAY=${[r.byMonthDay, ...(r.alsoMonthDays ?? [])].join(',')}`);
  if (r.byDay?.length) parts.push(`BYDAY=${r.byDay.join(',')}`);
  if (r.bySetPos !== undefined) parts.push(`BYSETPOS=${r.bySetPos}`);
  if (r.count) parts.push(`COUNT=${r.count}`);
  else if (r.until) parts.push(`UNTIL=${r.until.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}`);
  return parts.join(';');
}

function dayMatches(r: Rule, d: DateTime): boolean {
  if (r.byMonth && d.month !== r.byMonth) return false;
  if (r.byMonthDay !== undefined) {
    const want = [r.byMonthDay, ...(r.alsoMonthDays ?? [])].map((n) => (n > 0 ? n : d.daysInMonth! + n + 1));
    if (!want.includes(d.day)) return false;
  }
  if (r.byDay?.length) {
    const code = DAY_ORDER[d.weekday - 1]!;
    if (r.bySetPos !== undefined) {
      // first/last weekday of the month: the n-th of the days of this month that match.
      const matching: number[] = [];
      for (let day = 1; day <= d.daysInMonth!; day++) if (r.byDay.includes(DAY_ORDER[d.set({ day }).weekday - 1]!)) matching.push(day);
      const pick = r.bySetPos > 0 ? matching[r.bySetPos - 1] : matching[matching.length + r.bySetPos];
      return pick === d.day;
    }
    return r.byDay.some((spec) => {
      const m = /^(-?\d)?([A-Z]{2})$/.exec(spec)!;
      if (m[2] !== code) return false;
      if (!m[1]) return true;
      const n = Number(m[1]);
      return n > 0 ? Math.ceil(d.day / 7) === n : d.day + 7 > d.daysInMonth!;
    });
  }
  return true;
}

interface TimeOfDay {
  hour: number;
  minute: number;
  span?: [number, number];
}

/** The time of day the text says: "at 7pm", "19:30", "at noon", "in the morning", "at 5" (afternoon). */
function findTime(text: string): TimeOfDay | null {
  const evening = /\b(evening|tonight|night|dinner|supper|pm)\b/i.test(text);
  const withMeridiem = /\b(?:at\s+|@\s*|by\s+|around\s+)?(\d{1,2})(?:[:.](\d{2}))?\s*(a\.?m\.?|p\.?m\.?)(?![a-z])/i.exec(text);
  if (withMeridiem) {
    let hour = Number(withMeridiem[1]) % 12;
    if (/^p/i.test(withMeridiem[3]!)) hour += 12;
    const minute = Number(withMeridiem[2] ?? 0);
    if (Number(withMeridiem[1]) <= 12 && minute < 60)
      return { hour, minute, span: [withMeridiem.index, withMeridiem.index + withMeridiem[0].length] };
  }
  const clock = /\b(?:at\s+|@\s*|by\s+|around\s+)?([01]?\d|2[0-3])[:h]([0-5]\d)\b(?!\s*(?:%|kg|km))/i.exec(text);
  if (clock) {
    let hour = Number(clock[1]);
    if (hour >= 1 && hour <= 6 && !clock[1]!.startsWith('0')) hour += 12;
    else if (hour >= 7 && hour <= 11 && evening && !clock[1]!.startsWith('0')) hour += 12;
    return { hour, minute: Number(clock[2]), span: [clock.index, clock.index + clock[0].length] };
  }
  const bare =
    /\b(?:at|@|around)\s+(\d{1,2})(?:\s*o'?clock)?\b(?![:.]?\d|\s*(?:%|kg|km|minutes|mins|hours|days|weeks|months|people|items))/i.exec(
      text,
    );
  if (bare) {
    let hour = Number(bare[1]);
    if (hour <= 12) {
      if (hour === 12) hour = 12;
      else if (hour <= 6 || (evening && hour <= 11)) hour += 12;
      return { hour, minute: 0, span: [bare.index, bare.index + bare[0].length] };
    }
    if (hour <= 23) return { hour, minute: 0, span: [bare.index, bare.index + bare[0].length] };
  }
  const named: Array<[RegExp, number, number]> = [
    [/\b(?:at\s+)?(?:noon|midday|lunchtime|lunch\s+time)\b/i, 12, 0],
    [/\b(?:at\s+)?midnight\b/i, 0, 0],
    [/\b(?:in\s+the\s+|this\s+|every\s+|each\s+|tomorrow\s+)?morning\b/i, 9, 0],
    [/\b(?:in\s+the\s+|this\s+|every\s+|each\s+|tomorrow\s+)?afternoon\b/i, 15, 0],
    [/\b(?:in\s+the\s+|this\s+|every\s+|each\s+|tomorrow\s+)?evening\b/i, 18, 0],
    [/\b(?:tonight|(?:at|every|each)\s+night|nightly)\b/i, 20, 0],
  ];
  for (const [re, hour, minute] of named) {
    const m = re.exec(text);
    if (m) return { hour, minute, span: [m.index, m.index + m[0].length] };
  }
  return null;
}

const DEFAULT_TIME = { hour: 9, minute: 0 };

/** The first occurrence of the rule strictly after `now`, at `time` (09:00 when the text gives none), on or after `from`. */
function firstOccurrence(rule: Rule, time: TimeOfDay | null, now: DateTime, from?: DateTime): DateTime | null {
  const zone = now.zoneName!;
  if (rule.freq === 'HOURLY')
    return (time ? atLocal(zone, { year: now.year, month: now.month, day: now.day, ...time }) : now).plus({
      hours: time ? 0 : rule.interval,
    });
  const t = time ?? DEFAULT_TIME;
  let day = (from && from > now ? from : now).startOf('day');
  for (let i = 0; i < 2000; i++, day = day.plus({ days: 1 })) {
    if (!dayMatches(rule, day)) continue;
    const at = atLocal(zone, { year: day.year, month: day.month, day: day.day, hour: t.hour, minute: t.minute });
    if (at > now) return at;
  }
  return null;
}

const LEAD_IN =
  /^\s*(?:(?:hey|ok|okay|please|pls|can\s+you|could\s+you|would\s+you)[\s,]+)*(?:(?:set\s+(?:a|up\s+a)\s+)?reminder(?:\s+(?:for|to))?[:\s]+|remind(?:er)?\s+(?:me|us|myself)\s+(?:to|that|about|of)?|(?:don'?t|do\s+not)\s+(?:let\s+me\s+)?forget\s+(?:to\s+)?|(?:to\s?do|todo|task)[:\s-]+|i\s+(?:need|have|must|should|want)\s+to\s+|(?:we|i)\s+(?:need|have)\s+to\s+)/i;

function assigneeOf(text: string, members: readonly string[]): { name: string; span: [number, number] } | null {
  if (/\bremind\s+(?:me|myself)\b/i.test(text)) return null;
  const sorted = [...members].sort((a, b) => b.length - a.length);
  for (const name of sorted) {
    const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const patterns = [
      new RegExp(`\\b(?:please\\s+)?(?:remind|tell|ask|get|have|let)\\s+${n}\\s+(?:to|that|about|of)?`, 'i'),
      new RegExp(`^\\s*(?:@)?${n}\\s*[:,-]\\s*`, 'i'),
      new RegExp(
        `^\\s*(?:@)?${n}\\s+(?=(?:needs|has|should|must|will|is|to|has\\s+got)\\b)(?:(?:needs|has|must|should)\\s+(?:got\\s+)?to\\s+|is\\s+to\\s+|to\\s+|will\\s+)?`,
        'i',
      ),
      new RegExp(`\\b(?:for|@)\\s*${n}\\s*(?:[:,-]|$)`, 'i'),
    ];
    for (const re of patterns) {
      const m = re.exec(text);
      if (m) return { name, span: [m.index, m.index + m[0].length] };
    }
  }
  return null;
}

function titleOf(text: string, spans: Array<[number, number]>): string {
  // Overlapping spans ("tomorrow morning" and "morning") are cut once, as their union.
  const merged: Array<[number, number]> = [];
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  let s = text;
  for (const [a, b] of merged.reverse()) s = `${s.slice(0, a)} ${s.slice(b)}`;
  s = s
    .replace(LEAD_IN, '')
    .replace(/\b(?:starting|beginning|from|until|till)\s*$/i, '')
    .replace(/\s+(?:on|at|by|in|every|each|and|from|starting|for|the|of)(?=\s*(?:[,.;!?]|$))/gi, '')
    .replace(/^\s*(?:to|that|about|of)\s+/i, '')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;!?])/g, '$1')
    .replace(/^[\s,.;:!?-]+|[\s,.;:!?-]+$/g, '');
  if (!s) s = 'Reminder';
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const UNITS: Record<string, 'days' | 'weeks' | 'months' | 'years'> = { day: 'days', week: 'weeks', month: 'months', year: 'years' };

/** "until June 30", "until May", "for 3 weeks": the last moment the repeat may start, and the words that say it. */
function endOf(text: string, due: DateTime): { until: DateTime; span: [number, number] } | null {
  const zone = due.zoneName!;
  const lasting = new RegExp(`\\bfor\\s+(?:the\\s+next\\s+)?${NUM}\\s+(day|week|month|year)s?\\b`, 'i').exec(text);
  if (lasting) {
    const until = due.plus({ [UNITS[lasting[2]!.toLowerCase()]!]: num(lasting[1]!) }).minus({ minutes: 1 });
    return { until, span: [lasting.index, lasting.index + lasting[0].length] };
  }
  const word = /\b(?:until|till|til|through|thru|up\s+to)\s+/i.exec(text);
  if (!word) return null;
  const after = text.slice(word.index + word[0].length);
  const month = new RegExp(`^(?:the\\s+end\\s+of\\s+)?${MONTH}\\b(?!\\s+\\d)`, 'i').exec(after);
  if (month) {
    // "until June": the last occurrence is in May (or, "until the end of June", in June).
    const m = monthOf(month[0].replace(/^the\s+end\s+of\s+/i, ''));
    let first = due.set({ month: m, day: 1 }).startOf('day');
    if (first <= due) first = first.plus({ years: 1 });
    const until = (/^the\s+end/i.test(month[0]) ? first.plus({ months: 1 }) : first).minus({ seconds: 1 });
    return { until, span: [word.index, word.index + word[0].length + month[0].length] };
  }
  const date = findDates(after, due)[0];
  if (!date || date.index > 4) return null;
  const day = date.start.allDay ? date.start.date : date.start.at;
  const until = atLocal(zone, { year: day.year, month: day.month, day: day.day, hour: 23, minute: 59, second: 59 });
  return { until, span: [word.index, word.index + word[0].length + date.index + date.text.length] };
}

/** `text` read as a reminder: for whom, what, when first, and how it repeats. */
function parseReminder(text: string, now: DateTime, members: readonly string[]) {
  const clean = text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
  const impossible = impossibleDate(clean);
  if (impossible)
    throw new AppError('invalid_input', `text: "${impossible}" is not a date on the calendar; say which day you mean.`, {
      issues: [{ path: 'text', message: `"${impossible}" is not a date` }],
    });
  const spans: Array<[number, number]> = [];
  const assignee = assigneeOf(clean, members);
  if (assignee) spans.push(assignee.span);
  const found = findRule(clean);
  const time = findTime(clean);
  let due: DateTime | null = null;
  let rrule: string | undefined;
  if (found) {
    spans.push(found.span);
    if (found.extra) spans.push(found.extra);
    if (time?.span) spans.push(time.span);
    // "every Monday starting next week", "every day from March 1"
    let rest = clean;
    for (const [a, b] of [found.span, found.extra].filter((x): x is [number, number] => !!x))
      rest = `${rest.slice(0, a)}${' '.repeat(b - a)}${rest.slice(b)}`;
    const start = findDates(rest, now).find((d) =>
      /\b(?:starting|beginning|from|after|as\s+of)\b/i.test(rest.slice(Math.max(0, d.index - 16), d.index + 1)),
    );
    let from: DateTime | undefined;
    if (start) {
      from = start.start.allDay ? now.set({ ...start.start.date }).startOf('day') : start.start.at.startOf('day');
      const i = rest.lastIndexOf(' ', start.index - 2);
      spans.push([Math.max(0, i), start.index + start.text.length]);
    }
    const count = /\b(?:for\s+)?(\d{1,3})\s+times\b/i.exec(rest);
    if (count) {
      found.rule.count = Number(count[1]);
      spans.push([count.index, count.index + count[0].length]);
    }
    due = firstOccurrence(found.rule, time, now, from);
    if (due && !count) {
      const end = endOf(rest, due);
      if (end) {
        found.rule.until = end.until;
        spans.push(end.span);
      }
    }
    rrule = ruleText(found.rule);
  } else {
    const dates = findDates(clean, now);
    const first = dates[0];
    if (first) {
      spans.push([first.index, first.index + first.text.length]);
      if (time?.span) spans.push(time.span);
      if (!first.start.allDay) due = first.start.at;
      else {
        const t = time ?? DEFAULT_TIME;
        due = atLocal(now.zoneName!, { ...first.start.date, hour: t.hour, minute: t.minute });
      }
    } else {
      const t = time ?? DEFAULT_TIME;
      if (time?.span) spans.push(time.span);
      const today = atLocal(now.zoneName!, { year: now.year, month: now.month, day: now.day, ...t });
      due = today > now ? today : today.plus({ days: 1 });
    }
  }
  if (!due) due = now.plus({ days: 1 }).set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
  return {
    title: titleOf(clean, spans),
    ...(assignee ? { assignee: assignee.name } : {}),
    due: isoInstant(due),
    ...(rrule ? { rrule } : {}),
  };
}

export const remindersParse = defineSkill({
  id: 'reminders.parse',
  description:
    'Reads a reminder in plain language: title, who it is for (one of the members), the first time it is due after now, and an RFC 5545 rule when it repeats.',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: RemindersParseInput,
  output: RemindersParseOutput,
  async run(sctx, input) {
    await loadDateEngine();
    return parseReminder(input.text, nowIn(sctx, input), input.members ?? sctx.members);
  },
});
