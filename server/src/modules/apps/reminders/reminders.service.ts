import type { ReminderView } from '@csme/contracts/reminders';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import { notify } from '#modules/notifications/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { runSkill, standaloneSkillContext } from '#modules/skills/index.js';
import { assertMayCreate, assertMayEdit, checkRule, describeRule, localStamp, nextOccurrence, visibilityFor } from '../apps.policy.js';
import { fireReminderJob } from './reminders.jobs.js';
import {
  deleteReminder as deleteRow,
  findReminder,
  insertReminder,
  listDueReminders,
  listMembers,
  listReminders as listRows,
  lockReminder,
  type ReminderRow,
  updateReminder as updateRow,
} from './reminders.repository.js';

export function presentReminder(r: ReminderRow, locale: 'en' | 'he' = 'en'): ReminderView {
  return {
    id: r.id,
    title: r.title,
    notes: r.notes,
    dueAt: r.due_at.toISOString(),
    rrule: r.rrule,
    repeats: describeRule(r.rrule, r.due_at, r.time_zone, locale),
    timeZone: r.time_zone,
    status: r.status as ReminderView['status'],
    assignee: { accountId: r.assignee_account_id, name: r.assignee_name },
    visibility: r.visibility as ReminderView['visibility'],
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
    createdByAgent: r.created_by_agent_id !== null,
    lastFiredAt: r.last_fired_at?.toISOString() ?? null,
    demo: r.demo,
  };
}

/** Queues (or moves) the one job that fires this reminder at its due time. */
async function schedule(db: Db, spaceId: string, id: string, dueAt: Date): Promise<void> {
  await addJob(db, fireReminderJob, { spaceId, reminderId: id }, { runAt: dueAt, jobKey: `reminder:${id}` });
}

export interface NewReminder {
  title: string;
  notes?: string;
  dueAt: Date;
  rrule?: string | null;
  timeZone: string;
  assigneeAccountId: string;
  visibility: 'shared' | 'private';
  ownerAccountId: string;
  createdByAccountId: string | null;
  agentId?: string | null;
  idempotencyKey?: string | null;
  demo?: boolean;
}

/** Creates a reminder and its job in a tenant transaction (`db`), once per idempotency key. */
export async function createReminderIn(db: Db, now: Date, spaceId: string, n: NewReminder): Promise<string> {
  if (n.assigneeAccountId !== n.ownerAccountId && n.visibility === 'private')
    throw new AppError('invalid_input', 'A reminder for someone else is shared with the family, so that they can see it.', {
      field: 'visibility',
    });
  const rrule = n.rrule ? checkRule(n.rrule) : null;
  const id = await insertReminder(db, {
    id: newId(),
    space_id: spaceId,
    owner_account_id: n.ownerAccountId,
    visibility: n.visibility,
    title: n.title,
    notes: n.notes ?? '',
    assignee_account_id: n.assigneeAccountId,
    due_at: n.dueAt,
    rrule,
    dtstart: rrule ? localStamp(n.dueAt, n.timeZone) : null,
    time_zone: n.timeZone,
    created_by_account_id: n.createdByAccountId,
    created_by_agent_id: n.agentId ?? null,
    updated_by: n.createdByAccountId,
    idempotency_key: n.idempotencyKey ?? null,
    demo: n.demo ?? false,
    created_at: now,
    updated_at: now,
  });
  await schedule(db, spaceId, id, n.dueAt);
  return id;
}

type Member = { id: string; display_name: string };

/** The member a name means: the full name, or a first name, regardless of case. */
export function memberByName(members: readonly Member[], name: string): Member | undefined {
  const n = name.trim().toLowerCase();
  return members.find((m) => m.display_name.toLowerCase() === n) ?? members.find((m) => m.display_name.toLowerCase().split(/\s+/)[0] === n);
}

/** Reads a reminder in plain words with `reminders.parse`, given the space's members (full and first names). */
export async function parseReminderText(
  text: string,
  o: { now: Date; timeZone: string; members: readonly Member[] },
): Promise<{ title: string; due: string; rrule?: string; assignee?: Member }> {
  const names = [...new Set(o.members.flatMap((m) => [m.display_name, m.display_name.split(/\s+/)[0]!]))];
  const r = (await runSkill(standaloneSkillContext({ now: o.now, timeZone: o.timeZone, members: names }), 'reminders.parse', { text })) as {
    title: string;
    due: string;
    rrule?: string;
    assignee?: string;
  };
  return { title: r.title, due: r.due, rrule: r.rrule, assignee: r.assignee ? memberByName(o.members, r.assignee) : undefined };
}

export async function listReminders(ctx: ActorCtx, q: { status: string; limit: number }) {
  return inSpace(ctx, async (c) => {
    const rows = await listRows(c.db, ctx.actor.spaceId, q);
    const members = await listMembers(c.db, ctx.actor.spaceId);
    return {
      items: rows.map((r) => presentReminder(r, ctx.actor.locale)),
      members: members.map((m) => ({ accountId: m.id, name: m.display_name })),
    };
  });
}

async function getRow(ctx: ActorCtx, db: Db, id: string): Promise<ReminderRow> {
  const r = await findReminder(db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That reminder was not found.');
  return r;
}

export async function createReminder(
  ctx: ActorCtx,
  input:
    | { text: string; visibility?: 'shared' | 'private' }
    | { title: string; notes?: string; dueAt: string; rrule?: string; assigneeAccountId?: string; visibility?: 'shared' | 'private' },
): Promise<ReminderView> {
  return inSpace(ctx, async (c) => {
    const members = await listMembers(c.db, ctx.actor.spaceId);
    let fields: { title: string; notes?: string; dueAt: Date; rrule?: string | null; assignee: string };
    if ('text' in input) {
      const p = await parseReminderText(input.text, { now: ctx.now(), timeZone: ctx.actor.timeZone, members });
      fields = { title: p.title, dueAt: new Date(p.due), rrule: p.rrule ?? null, assignee: p.assignee?.id ?? ctx.actor.accountId };
    } else {
      const assignee = input.assigneeAccountId ?? ctx.actor.accountId;
      if (!members.some((m) => m.id === assignee))
        throw new AppError('invalid_input', 'That person is not a member of this space.', { field: 'assigneeAccountId' });
      fields = { title: input.title, notes: input.notes, dueAt: new Date(input.dueAt), rrule: input.rrule ?? null, assignee };
    }
    // A reminder for someone else is for the family to see; one's own follows the request.
    const forOther = fields.assignee !== ctx.actor.accountId;
    const visibility = forOther ? 'shared' : visibilityFor(ctx.actor, input.visibility);
    if (forOther && input.visibility === 'private')
      throw new AppError('invalid_input', 'A reminder for someone else is shared with the family, so that they can see it.');
    assertMayCreate(ctx.actor, 'reminder', visibility);
    const id = await createReminderIn(c.db, ctx.now(), ctx.actor.spaceId, {
      ...fields,
      timeZone: ctx.actor.timeZone,
      assigneeAccountId: fields.assignee,
      visibility,
      ownerAccountId: ctx.actor.accountId,
      createdByAccountId: ctx.actor.accountId,
    });
    return presentReminder(await getRow(ctx, c.db, id), ctx.actor.locale);
  });
}

export async function updateReminder(
  ctx: ActorCtx,
  id: string,
  patch: { title?: string; notes?: string; dueAt?: string; rrule?: string | null; snoozeMinutes?: number; done?: true },
): Promise<ReminderView> {
  return inSpace(ctx, async (c) => {
    const r = await getRow(ctx, c.db, id);
    // Done and snooze are for whoever it reminds (a child may snooze their shared chore); other changes follow the roles.
    const onlyState = Object.keys(patch).every((k) => k === 'snoozeMinutes' || k === 'done');
    if (!(onlyState && r.assignee_account_id === ctx.actor.accountId)) assertMayEdit(ctx.actor, 'reminder', r);
    const now = ctx.now();
    const set: Parameters<typeof updateRow>[3] = { updated_by: ctx.actor.accountId, updated_at: now };
    if (patch.title !== undefined) set.title = patch.title;
    if (patch.notes !== undefined) set.notes = patch.notes;
    let due = r.due_at;
    let rrule = r.rrule;
    let dtstart = r.dtstart;
    if (patch.rrule !== undefined) rrule = patch.rrule ? checkRule(patch.rrule) : null;
    if (patch.dueAt !== undefined) due = new Date(patch.dueAt);
    if (patch.dueAt !== undefined || patch.rrule !== undefined) dtstart = rrule ? localStamp(due, r.time_zone) : null;
    if (patch.snoozeMinutes !== undefined) due = new Date(now.getTime() + patch.snoozeMinutes * 60_000);
    if (patch.done) {
      const next =
        rrule && dtstart ? nextOccurrence(rrule, dtstart, r.time_zone, new Date(Math.max(now.getTime(), r.due_at.getTime()))) : null;
      if (next) due = next;
      else set.status = 'done';
    }
    Object.assign(set, { due_at: due, rrule, dtstart });
    await updateRow(c.db, ctx.actor.spaceId, id, set);
    if (set.status !== 'done' && due.getTime() !== r.due_at.getTime()) await schedule(c.db, ctx.actor.spaceId, id, due);
    return presentReminder(await getRow(ctx, c.db, id), ctx.actor.locale);
  });
}

export async function deleteReminder(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'reminder', await getRow(ctx, c.db, id));
    // Its pending job finds nothing to fire and ends.
    await deleteRow(c.db, ctx.actor.spaceId, id);
  });
}

/**
 * Fires one reminder if its time has come and it has not fired for this due time: tells the member
 * it is for (in the app, and by email if they want), raises `reminder.due`, and moves a repeating
 * one to its next occurrence (after now: a reminder missed while the platform was down fires once).
 * One transaction with the row locked: a retried or doubled job fires nothing twice.
 */
export async function fireReminder(ctx: Ctx, spaceId: string, id: string): Promise<boolean> {
  return ctx.deps.db.transaction().execute(async (tx) => {
    const c = { ...ctx, db: tx };
    const r = await lockReminder(tx, spaceId, id);
    const now = ctx.now();
    if (r?.status !== 'active' || r.due_at > now || (r.last_fired_at !== null && r.last_fired_at >= r.due_at)) return false;
    const member = await tx
      .selectFrom('membership')
      .select('id')
      .where('space_id', '=', spaceId)
      .where('account_id', '=', r.assignee_account_id)
      .executeTakeFirst();
    const assignee = member ? r.assignee_account_id : r.owner_account_id;
    const by =
      r.created_by_account_id && r.created_by_account_id !== assignee
        ? await tx.selectFrom('account').select('display_name').where('id', '=', r.created_by_account_id).executeTakeFirst()
        : undefined;
    const locale = ((await tx.selectFrom('account').select('locale').where('id', '=', assignee).executeTakeFirst())?.locale ?? 'en') as
      | 'en'
      | 'he';
    const repeats = describeRule(r.rrule, r.due_at, r.time_zone, locale);
    await notify(c, {
      spaceId,
      accountId: assignee,
      kind: 'reminder.due',
      title: locale === 'he' ? `תזכורת: ${r.title}` : `Reminder: ${r.title}`,
      body: [r.notes, repeats, by ? (locale === 'he' ? `מאת ${by.display_name}` : `From ${by.display_name}`) : '']
        .filter(Boolean)
        .join(' · '),
      url: '/reminders',
      data: { reminderId: r.id },
    });
    await raiseEvent(c, {
      spaceId,
      ownerAccountId: assignee,
      visibility: r.visibility as 'shared' | 'private',
      type: 'reminder.due',
      source: 'app:reminders',
      dedupeKey: `${r.id}:${r.due_at.toISOString()}`,
      data: { reminderId: r.id, dueAt: r.due_at.toISOString(), assigneeAccountId: assignee },
    });
    const next =
      r.rrule && r.dtstart ? nextOccurrence(r.rrule, r.dtstart, r.time_zone, new Date(Math.max(now.getTime(), r.due_at.getTime()))) : null;
    await updateRow(tx, spaceId, id, {
      last_fired_at: now,
      fired_count: r.fired_count + 1,
      ...(next ? { due_at: next } : r.rrule ? { status: 'done' } : {}),
    });
    if (next) await schedule(tx, spaceId, id, next);
    return true;
  });
}

/** Fires every reminder that is due and has not fired (the sweep; also what tests call after moving the clock). */
export async function fireDueReminders(ctx: Ctx, limit = 500): Promise<number> {
  let n = 0;
  for (const r of await listDueReminders(ctx.deps.db, ctx.now(), limit)) if (await fireReminder(ctx, r.space_id, r.id)) n++;
  return n;
}
