import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { findTask, listTasks, updateTask } from './tasks.repository.js';
import { createTaskIn } from './tasks.service.js';

const TaskOut = z.object({
  id: z.uuid(),
  title: z.string(),
  dueAt: z.string().nullable(),
  priority: z.enum(['high', 'normal', 'low']),
  status: z.enum(['open', 'done']),
});

export const tasksList = defineSkill({
  id: 'tasks.list',
  description: 'The open tasks of the person (shared ones and their own), soonest due first',
  kind: 'read',
  scopes: ['tasks:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ status: z.enum(['open', 'done']).default('open'), limit: z.number().int().min(1).max(200).default(50) }),
  output: z.object({ tasks: z.array(TaskOut) }),
  async run(sctx, input) {
    const rows = await sctx.inScope((db) => listTasks(db, sctx.spaceId!, { status: input.status, limit: input.limit }));
    return {
      tasks: rows.slice(0, input.limit).map((r) => ({
        id: r.id,
        title: r.title,
        dueAt: r.due_at?.toISOString() ?? null,
        priority: r.priority as 'normal',
        status: r.status as 'open',
      })),
    };
  },
});

export const tasksCreate = defineSkill({
  id: 'tasks.create',
  description: 'Create a task',
  kind: 'act',
  actionType: 'tasks.create',
  scopes: ['tasks:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    title: z.string().trim().min(1).max(300),
    notes: z.string().max(5000).optional(),
    dueAt: z.iso.datetime({ offset: true }).nullable().optional(),
    priority: z.enum(['high', 'normal', 'low']).optional(),
  }),
  output: z.object({ taskId: z.uuid() }),
  preview: (i, locale) => ({
    title: locale === 'he' ? `ליצור משימה: ${i.title}` : `Create a task: ${i.title}`,
    summary: [
      i.dueAt ? `${locale === 'he' ? 'עד' : 'Due'} ${i.dueAt.slice(0, 16).replace('T', ' ')}` : '',
      i.priority && i.priority !== 'normal' ? `${i.priority} priority` : '',
      i.notes ?? '',
    ]
      .filter(Boolean)
      .join(' · '),
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'tasks.create needs a space');
    const taskId = await sctx.inScope((db) =>
      createTaskIn(db, sctx.ctx, sctx.spaceId!, {
        ...input,
        visibility: sctx.visibility,
        ownerAccountId: sctx.accountId!,
        createdByAccountId: sctx.accountId,
        agentId: sctx.agentId,
        idempotencyKey: sctx.idempotencyKey,
      }),
    );
    return { taskId };
  },
});

export const tasksComplete = defineSkill({
  id: 'tasks.complete',
  description: 'Mark a task done',
  kind: 'act',
  actionType: 'tasks.complete',
  scopes: ['tasks:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ taskId: z.uuid() }),
  output: z.object({ taskId: z.uuid(), status: z.literal('done') }),
  preview: (i, locale) => ({ title: locale === 'he' ? 'לסמן משימה כבוצעה' : 'Mark a task done', summary: i.taskId }),
  async run(sctx, input) {
    await sctx.inScope(async (db) => {
      const t = await findTask(db, sctx.spaceId!, input.taskId);
      if (!t) throw new AppError('not_found', 'That task no longer exists.');
      if (t.status !== 'done')
        await updateTask(db, sctx.spaceId!, input.taskId, { status: 'done', completed_at: sctx.now, updated_at: sctx.now });
    });
    return { taskId: input.taskId, status: 'done' as const };
  },
});

export const tasksGet = defineSkill({
  id: 'tasks.get',
  description: 'One task by id',
  kind: 'read',
  scopes: ['tasks:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ taskId: z.uuid() }),
  output: TaskOut.nullable(),
  async run(sctx, input) {
    const r = await sctx.inScope((db) => findTask(db, sctx.spaceId!, input.taskId));
    return r
      ? { id: r.id, title: r.title, dueAt: r.due_at?.toISOString() ?? null, priority: r.priority as 'normal', status: r.status as 'open' }
      : null;
  },
});

/** Formats a person's tasks as a short digest (title and body), in their language and time zone. */
export const tasksDigest = defineSkill({
  id: 'tasks.digest',
  description: 'Write a short digest of tasks: overdue, due today, and the rest',
  kind: 'compute',
  scopes: [],
  costClass: 'free',
  pure: true,
  input: z.strictObject({
    tasks: z
      .array(
        z
          .object({ title: z.string(), dueAt: z.string().nullable().optional(), priority: z.enum(['high', 'normal', 'low']).optional() })
          .passthrough(),
      )
      .max(500),
    now: z.iso.datetime({ offset: true }).optional(),
    timeZone: z.string().max(64).optional(),
  }),
  output: z.object({ title: z.string(), body: z.string(), overdue: z.number().int(), dueToday: z.number().int(), open: z.number().int() }),
  async run(sctx, input) {
    const now = input.now ? new Date(input.now) : sctx.now;
    const tz = input.timeZone ?? sctx.timeZone;
    const day = (d: Date) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    const today = day(now);
    const overdue = input.tasks.filter((t) => t.dueAt && new Date(t.dueAt) < now && day(new Date(t.dueAt)) !== today);
    const dueToday = input.tasks.filter((t) => t.dueAt && day(new Date(t.dueAt)) === today);
    const rest = input.tasks.filter((t) => !overdue.includes(t) && !dueToday.includes(t));
    const he = sctx.locale === 'he';
    const lines: string[] = [];
    const list = (label: string, ts: typeof input.tasks) => {
      if (!ts.length) return;
      lines.push(label);
      for (const t of ts.slice(0, 15)) lines.push(`• ${t.title}${t.priority === 'high' ? (he ? ' (דחוף)' : ' (high)') : ''}`);
      if (ts.length > 15) lines.push(he ? `ועוד ${ts.length - 15}` : `and ${ts.length - 15} more`);
    };
    list(he ? 'באיחור:' : 'Overdue:', overdue);
    list(he ? 'להיום:' : 'Due today:', dueToday);
    list(he ? 'פתוחות:' : 'Open:', rest);
    const n = input.tasks.length;
    const title =
      n === 0
        ? he
          ? 'אין משימות פתוחות היום'
          : 'No open tasks today'
        : he
          ? `${n} משימות פתוחות, ${dueToday.length} להיום`
          : `${n} open task${n === 1 ? '' : 's'}, ${dueToday.length} due today`;
    return {
      title,
      body: lines.join('\n') || (he ? 'יום פנוי.' : 'A clear day.'),
      overdue: overdue.length,
      dueToday: dueToday.length,
      open: n,
    };
  },
});

export const tasksUpdate = defineSkill({
  id: 'tasks.update',
  description: 'Change a task’s priority or due date',
  kind: 'act',
  actionType: 'tasks.update',
  scopes: ['tasks:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({
    taskId: z.uuid(),
    priority: z.enum(['high', 'normal', 'low']).optional(),
    dueAt: z.iso.datetime({ offset: true }).nullable().optional(),
    /** Why (shown to the person with the suggestion). */
    reason: z.string().max(500).optional(),
  }),
  output: z.object({ taskId: z.uuid() }),
  preview: (i, locale) => ({
    title:
      locale === 'he'
        ? `לשנות משימה${i.priority ? `: עדיפות ${i.priority === 'high' ? 'גבוהה' : i.priority === 'low' ? 'נמוכה' : 'רגילה'}` : ''}`
        : `Change a task${i.priority ? `: ${i.priority} priority` : ''}${i.dueAt ? `, due ${i.dueAt.slice(0, 10)}` : ''}`,
    summary: i.reason ?? '',
  }),
  async run(sctx, input) {
    await sctx.inScope(async (db) => {
      const t = await findTask(db, sctx.spaceId!, input.taskId);
      if (!t) throw new AppError('not_found', 'That task no longer exists.');
      await updateTask(db, sctx.spaceId!, input.taskId, {
        ...(input.priority ? { priority: input.priority } : {}),
        ...(input.dueAt !== undefined ? { due_at: input.dueAt ? new Date(input.dueAt) : null } : {}),
        updated_by: sctx.accountId,
        updated_at: sctx.now,
      });
    });
    return { taskId: input.taskId };
  },
});
