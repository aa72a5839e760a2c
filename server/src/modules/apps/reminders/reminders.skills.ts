import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import { describeRule } from '../apps.policy.js';
import { listMembers, listReminders } from './reminders.repository.js';
import { createReminderIn, memberByName, parseReminderText } from './reminders.service.js';

const ReminderOut = z.object({
  id: z.uuid(),
  title: z.string(),
  dueAt: z.string(),
  rrule: z.string().nullable(),
  repeats: z.string().nullable(),
  assignee: z.string(),
});

export const remindersList = defineSkill({
  id: 'reminders.list',
  description: 'Active reminders (shared ones and the person’s own), soonest first, optionally only those due within some days',
  kind: 'read',
  scopes: ['reminders:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ withinDays: z.number().int().min(1).max(366).optional(), limit: z.number().int().min(1).max(200).default(50) }),
  output: z.object({ reminders: z.array(ReminderOut) }),
  async run(sctx, input) {
    const until = input.withinDays ? new Date(sctx.now.getTime() + input.withinDays * 86_400_000) : undefined;
    const rows = await sctx.inScope((db) => listReminders(db, sctx.spaceId!, { status: 'active', limit: input.limit, until }));
    return {
      reminders: rows.map((r) => ({
        id: r.id,
        title: r.title,
        dueAt: r.due_at.toISOString(),
        rrule: r.rrule,
        repeats: describeRule(r.rrule, r.due_at, r.time_zone, sctx.locale),
        assignee: r.assignee_name,
      })),
    };
  },
});

async function create(sctx: SkillContext, f: { title: string; notes?: string; dueAt: Date; rrule?: string | null; assignee?: string }) {
  if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'reminders skills need a space');
  return sctx.inScope(async (db) => {
    const members = await listMembers(db, sctx.spaceId!);
    const who = f.assignee ? memberByName(members, f.assignee) : undefined;
    if (f.assignee && !who) throw new AppError('invalid_input', `${f.assignee} is not a member of this space.`);
    const assignee = who?.id ?? sctx.accountId!;
    const reminderId = await createReminderIn(db, sctx.now, sctx.spaceId!, {
      title: f.title,
      notes: f.notes,
      dueAt: f.dueAt,
      rrule: f.rrule ?? null,
      timeZone: sctx.timeZone,
      assigneeAccountId: assignee,
      // A reminder for someone else must be visible to them.
      visibility: assignee === sctx.accountId ? sctx.visibility : 'shared',
      ownerAccountId: sctx.accountId!,
      createdByAccountId: sctx.accountId,
      agentId: sctx.agentId,
      idempotencyKey: sctx.idempotencyKey,
    });
    return { reminderId, assignee: who?.display_name ?? null };
  });
}
const CreateOut = z.object({ reminderId: z.uuid(), assignee: z.string().nullable() });

export const remindersCreate = defineSkill({
  id: 'reminders.create',
  description: 'Set a reminder for the person or another member (by name), once or repeating (RFC 5545 rule)',
  kind: 'act',
  actionType: 'reminders.create',
  scopes: ['reminders:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    title: z.string().trim().min(1).max(300),
    notes: z.string().max(5000).optional(),
    dueAt: z.iso.datetime({ offset: true }),
    rrule: z.string().max(300).optional(),
    assignee: z.string().max(200).optional(),
  }),
  output: CreateOut,
  preview: (i, locale) => ({
    title: locale === 'he' ? `תזכורת${i.assignee ? ` ל${i.assignee}` : ''}: ${i.title}` : `Remind ${i.assignee ?? 'you'}: ${i.title}`,
    summary: `${i.dueAt.slice(0, 16).replace('T', ' ')}${i.rrule ? ` · ${i.rrule}` : ''}`,
  }),
  run: (sctx, i) => create(sctx, { ...i, dueAt: new Date(i.dueAt) }),
});

export const remindersCreateFromText = defineSkill({
  id: 'reminders.create-from-text',
  description: 'Set a reminder written in plain words ("remind Dana to take the bins out every Tuesday at 7pm") for the member it names',
  kind: 'act',
  actionType: 'reminders.create',
  scopes: ['reminders:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ text: z.string().trim().min(1).max(500) }),
  output: CreateOut.extend({ title: z.string(), dueAt: z.string(), rrule: z.string().nullable() }),
  preview: (i, locale) => ({ title: locale === 'he' ? `תזכורת: ${i.text}` : `Set a reminder: ${i.text}`, summary: '' }),
  async run(sctx, input) {
    const members = await sctx.inScope((db) => listMembers(db, sctx.spaceId!));
    const p = await parseReminderText(input.text, { now: sctx.now, timeZone: sctx.timeZone, members });
    const r = await create(sctx, { title: p.title, dueAt: new Date(p.due), rrule: p.rrule, assignee: p.assignee?.display_name });
    return { ...r, title: p.title, dueAt: p.due, rrule: p.rrule ?? null };
  },
});

export const remindersSkills = [remindersList, remindersCreate, remindersCreateFromText];
