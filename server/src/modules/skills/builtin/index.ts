// The built-in compute skills, one file each; the other files here are the local engine they share.
import type { SkillDef } from '#core/skill.js';
import { calendarConflicts } from './calendar-conflicts.js';
import { datesExtract } from './dates-extract.js';
import { emailTriage } from './email-triage.js';
import { followupsDetect } from './followups-detect.js';
import { invoiceTotalsSkill } from './invoice-totals.js';
import { quizGenerate } from './quiz-generate.js';
import { remindersParse } from './reminders-parse.js';
import { shoppingParse } from './shopping-parse.js';
import { textSummarize } from './text-summarize.js';

export const BUILTIN_SKILLS = [
  emailTriage,
  datesExtract,
  remindersParse,
  shoppingParse,
  textSummarize,
  quizGenerate,
  invoiceTotalsSkill,
  calendarConflicts,
  followupsDetect,
] as unknown as readonly SkillDef[];
