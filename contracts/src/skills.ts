import { z } from 'zod';
import { endpoint } from './http.js';

/**
 * The contracts of the built-in compute skills (issue "The four prebuilt packs"), shared by the
 * server (which validates every input and output with them), the web app and the CLI.
 * Inputs are strict (a misspelt field is an error that names it); outputs are what callers rely on.
 */

const tags = ['skills'];

/** The most text a skill accepts: 1 MB of mail or notes is accepted (and answered), beyond that is a clear error. */
export const MAX_SKILL_TEXT = 1_048_576;

const SkillText = z
  .string()
  .max(MAX_SKILL_TEXT, `must be at most ${MAX_SKILL_TEXT} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
function isDateTime(value: string, needsOffset: boolean): boolean {
  const m = DATE_TIME.exec(value);
  if (!m || (needsOffset && !m[7])) return false;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= days && h <= 23 && mi <= 59 && s <= 59;
}
/** An instant with its offset, e.g. `2026-03-08T15:00:00-04:00` (or `Z`); seconds may be left out. */
export const Instant = z
  .string()
  .refine((v) => isDateTime(v, true), 'must be an ISO 8601 date-time with an offset, e.g. 2026-03-08T15:00:00-04:00');
/** A date-time as input: with an offset, or without one to mean the wall-clock time in the input's zone. */
const DateTimeIn = z.string().refine((v) => isDateTime(v, false), 'must be an ISO 8601 date-time, e.g. 2026-03-08T15:00:00-04:00');

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
/** An IANA time zone name, e.g. `America/New_York`. */
export const TimeZone = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/London');

/** `YYYY-MM-DD` (an all-day value) or an ISO 8601 instant with offset. */
export const DateOrInstant = z.union([z.iso.date(), Instant]);

// ---------------------------------------------------------------- email.triage

const AddressList = z
  .union([z.array(z.string().max(1000)).max(1000), z.string().max(100_000)])
  .transform((v) => (Array.isArray(v) ? v : v.split(/[,;](?=(?:[^"]*"[^"]*")*[^"]*$)/)).map((s) => s.trim()).filter(Boolean));

export const TRIAGE_CATEGORIES = ['action', 'meeting', 'receipt', 'newsletter', 'notification', 'fyi'] as const;
export const TriageCategory = z.enum(TRIAGE_CATEGORIES);
export type TriageCategory = z.infer<typeof TriageCategory>;
export const PRIORITIES = ['high', 'normal', 'low'] as const;

export const EmailTriageInput = z.strictObject({
  from: z.string().max(1000).default(''),
  to: AddressList.default([]),
  cc: AddressList.default([]),
  subject: z.string().max(10_000).default(''),
  /** The plain-text body; HTML is accepted here too (tags are stripped). */
  text: SkillText.default(''),
  /** The HTML body, when the message has one (used when `text` is empty). */
  html: SkillText.optional(),
  /** Raw headers, when known (List-Unsubscribe, Precedence, Auto-Submitted help tell bulk from personal mail). */
  headers: z.record(z.string().max(200), z.string().max(10_000)).optional(),
  /** When the message was sent; relative dates in it resolve from here. */
  date: DateTimeIn.optional(),
});
export type EmailTriageInput = z.input<typeof EmailTriageInput>;

export const ActionItem = z.object({ text: z.string(), due: DateOrInstant.nullable() });
export const EmailTriageOutput = z.object({
  category: TriageCategory,
  priority: z.enum(PRIORITIES),
  actionItems: z.array(ActionItem),
  reason: z.string(),
});
export type EmailTriageOutput = z.infer<typeof EmailTriageOutput>;

// ---------------------------------------------------------------- dates.extract

export const DatesExtractInput = z.strictObject({
  text: SkillText,
  /** Relative words resolve forward from here; the caller's clock when omitted. */
  now: DateTimeIn.optional(),
  /** The zone dates are meant in; the caller's zone when omitted. */
  timeZone: TimeZone.optional(),
});
export type DatesExtractInput = z.input<typeof DatesExtractInput>;

export const ExtractedDate = z.object({
  /** The words the value was read from. */
  text: z.string(),
  start: DateOrInstant,
  end: DateOrInstant.optional(),
  allDay: z.boolean(),
});
export type ExtractedDate = z.infer<typeof ExtractedDate>;
export const DatesExtractOutput = z.array(ExtractedDate);
export type DatesExtractOutput = z.infer<typeof DatesExtractOutput>;

// ---------------------------------------------------------------- reminders.parse

export const RemindersParseInput = z.strictObject({
  text: z.string().trim().min(1, 'must say what to be reminded of').max(10_000),
  now: DateTimeIn.optional(),
  timeZone: TimeZone.optional(),
  /** Names of the people a reminder may be for (the space's members when omitted). */
  members: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
});
export type RemindersParseInput = z.input<typeof RemindersParseInput>;

export const RemindersParseOutput = z.object({
  title: z.string().min(1),
  /** One of `members`; omitted when the reminder is for the person themselves. */
  assignee: z.string().optional(),
  /** The first occurrence after `now`. */
  due: Instant,
  /** An RFC 5545 rule without the `RRULE:` prefix, e.g. `FREQ=WEEKLY;BYDAY=TU`. */
  rrule: z.string().optional(),
});
export type RemindersParseOutput = z.infer<typeof RemindersParseOutput>;

// ---------------------------------------------------------------- shopping.parse

export const SHOPPING_CATEGORIES = [
  'produce',
  'dairy',
  'bakery',
  'meat and fish',
  'pantry',
  'frozen',
  'drinks',
  'household',
  'personal care',
  'other',
] as const;
export const ShoppingCategory = z.enum(SHOPPING_CATEGORIES);
export type ShoppingCategory = z.infer<typeof ShoppingCategory>;

export const ShoppingParseInput = z.strictObject({ text: z.string().max(100_000) });
export type ShoppingParseInput = z.input<typeof ShoppingParseInput>;
export const ShoppingItem = z.object({
  /** Singular and lowercase: `egg`, `banana`, `milk`. */
  name: z.string().min(1),
  quantity: z.number().positive().optional(),
  /** `g`, `kg`, `ml`, `l`, `lb`, `oz`, or a container (`bottle`, `can`, `jar`, `pack`, ...); none for a count. */
  unit: z.string().optional(),
  category: ShoppingCategory,
});
export type ShoppingItem = z.infer<typeof ShoppingItem>;
export const ShoppingParseOutput = z.array(ShoppingItem);
export type ShoppingParseOutput = z.infer<typeof ShoppingParseOutput>;

// ---------------------------------------------------------------- text.summarize

export const TextSummarizeInput = z.strictObject({
  text: SkillText,
  maxSentences: z.number().int().min(1).max(50).default(3),
});
export type TextSummarizeInput = z.input<typeof TextSummarizeInput>;
export const TextSummarizeOutput = z.object({ summary: z.string(), keyPhrases: z.array(z.string()) });
export type TextSummarizeOutput = z.infer<typeof TextSummarizeOutput>;

// ---------------------------------------------------------------- quiz.generate

export const QuizGenerateInput = z.strictObject({
  text: SkillText,
  count: z.number().int().min(1).max(50).default(5),
});
export type QuizGenerateInput = z.input<typeof QuizGenerateInput>;
export const QuizQuestion = z.object({
  type: z.enum(['cloze', 'choice']),
  question: z.string().min(1),
  /** Always words of the text. */
  answer: z.string().min(1),
  choices: z.array(z.string()).optional(),
});
export type QuizQuestion = z.infer<typeof QuizQuestion>;
export const QuizGenerateOutput = z.array(QuizQuestion);
export type QuizGenerateOutput = z.infer<typeof QuizGenerateOutput>;

// ---------------------------------------------------------------- invoice.totals

/** A decimal number, as a JSON number or a string (`"1.5"`), read exactly. */
const Decimal = z.union([
  z.number().refine(Number.isFinite, 'must be a finite number'),
  z
    .string()
    .trim()
    .regex(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/, 'must be a decimal number such as 1.5'),
]);
/** Minor units (cents, agorot): an integer, as a number or a string of digits. */
const MinorUnits = z.union([
  z.number().int('must be a whole number of minor units (cents)').refine(Number.isSafeInteger, 'is too large'),
  z
    .string()
    .trim()
    .regex(/^[+-]?\d{1,18}$/, 'must be a whole number of minor units (cents)'),
]);

export const InvoiceTotalsInput = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        description: z.string().max(2000).default(''),
        quantity: Decimal,
        unitPrice: MinorUnits,
      }),
    )
    .max(10_000),
  /** Percent: 17 means 17%. */
  taxRate: Decimal.default(0),
  /** Percent of the subtotal. */
  discount: Decimal.optional(),
  /** ISO 4217 code; the totals are in its minor units. */
  currency: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code such as USD')
    .transform((s) => s.toUpperCase()),
});
export type InvoiceTotalsInput = z.input<typeof InvoiceTotalsInput>;
export const InvoiceTotalsOutput = z.object({
  subtotal: z.number().int(),
  discount: z.number().int(),
  tax: z.number().int(),
  total: z.number().int(),
});
export type InvoiceTotalsOutput = z.infer<typeof InvoiceTotalsOutput>;

// ---------------------------------------------------------------- calendar.conflicts

export const CalendarConflictsInput = z.strictObject({
  events: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(500),
        /** The first occurrence (without an offset: wall-clock time in `timeZone`). */
        start: DateTimeIn,
        end: DateTimeIn,
        /** RFC 5545 rule (the `RRULE:` prefix is optional). */
        rrule: z.string().max(1000).optional(),
        /** Recurrences keep their wall-clock time in this zone. */
        timeZone: TimeZone,
        attendees: z.array(z.string().max(1000)).max(1000).optional(),
      }),
    )
    .max(2000),
  /** The window (without an offset: UTC). */
  from: DateTimeIn,
  to: DateTimeIn,
});
export type CalendarConflictsInput = z.input<typeof CalendarConflictsInput>;
export const CalendarConflictsOutput = z.array(z.object({ a: z.string(), b: z.string() }));
export type CalendarConflictsOutput = z.infer<typeof CalendarConflictsOutput>;

// ---------------------------------------------------------------- followups.detect

export const FollowupsDetectInput = z.strictObject({
  /** The person's address (or several, for people with more than one). */
  me: z.union([z.string().min(1).max(1000), z.array(z.string().min(1).max(1000)).min(1).max(20)]),
  now: DateTimeIn.optional(),
  /** A thread is due a follow-up when its last message is at least this many days old. */
  days: z.number().min(0).max(3650).default(3),
  threads: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(500),
        subject: z.string().max(10_000).default(''),
        messages: z
          .array(z.strictObject({ from: z.string().max(1000), date: DateTimeIn, text: z.string().max(MAX_SKILL_TEXT).default('') }))
          .max(1000),
      }),
    )
    .max(5000),
});
export type FollowupsDetectInput = z.input<typeof FollowupsDetectInput>;
export const FollowupsDetectOutput = z.array(
  z.object({
    threadId: z.string(),
    waitingOn: z.enum(['me', 'them']),
    /** When the unanswered message was sent. */
    since: Instant,
    /** A proposed nudge: the follow-up to send (waiting on them) or a reminder to answer (waiting on me). */
    nudge: z.string(),
  }),
);
export type FollowupsDetectOutput = z.infer<typeof FollowupsDetectOutput>;

// ---------------------------------------------------------------- the registry's endpoint

export const SkillView = z.object({
  id: z.string(),
  description: z.string(),
  kind: z.enum(['compute', 'read', 'act']),
  scopes: z.array(z.string()),
  costClass: z.enum(['free', 'cheap', 'model']),
  /** Runs standalone (`csme skill run`): needs no database or keys. */
  pure: z.boolean(),
  actionType: z.string().optional(),
  /** JSON Schema (draft 2020-12) of the input and of the output. */
  input: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
});
export type SkillView = z.infer<typeof SkillView>;

export const listSkills = endpoint({
  method: 'GET',
  path: '/api/v1/skills',
  summary: 'Every skill packs may call: what it does, what it needs, and its input and output as JSON Schema',
  tags,
  response: z.object({ skills: z.array(SkillView) }),
});
