import type { AgendaItem, OwnEventView } from '@csme/contracts/calendar';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { createSkillContext } from '#core/skill.js';
import { listCalendarOccurrences, listWritableCalendars } from '#modules/connectors/index.js';
import { raiseEvent } from '#modules/runs/index.js';
import { runSkill, standaloneSkillContext } from '#modules/skills/index.js';
import { assertMayCreate, assertMayEdit, checkRule, localStamp, occurrencesBetween, visibilityFor } from '../apps.policy.js';
import {
  deleteEntry as deleteRow,
  type EntryRow,
  findEntry,
  insertEntry,
  listEntriesFor,
  listEntriesStartingBefore,
  updateEntry as updateRow,
} from './calendar.repository.js';

export function presentEntry(r: EntryRow): OwnEventView {
  return {
    id: r.id,
    title: r.title,
    notes: r.notes,
    location: r.location,
    startsAt: r.starts_at.toISOString(),
    endsAt: r.ends_at.toISOString(),
    allDay: r.all_day,
    timeZone: r.time_zone,
    rrule: r.rrule,
    attendees: r.attendees,
    visibility: r.visibility as OwnEventView['visibility'],
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
  };
}

/** The occurrences of one own event that overlap [from, to). */
export function entryOccurrences(
  r: Pick<EntryRow, 'starts_at' | 'ends_at' | 'rrule' | 'time_zone'>,
  from: Date,
  to: Date,
): Array<{ start: Date; end: Date }> {
  const length = r.ends_at.getTime() - r.starts_at.getTime();
  if (!r.rrule) return r.starts_at < to && r.ends_at > from ? [{ start: r.starts_at, end: r.ends_at }] : [];
  const starts = occurrencesBetween(
    r.rrule,
    localStamp(r.starts_at, r.time_zone),
    r.time_zone,
    new Date(from.getTime() - length),
    to,
    1000,
  );
  return starts.map((s) => ({ start: s, end: new Date(s.getTime() + length) })).filter((o) => o.end > from);
}

const MAX_WINDOW_MS = 62 * 86_400_000;

/**
 * The merged calendar of [from, to): the person's own events (repeats expanded in their zone) and the
 * connected calendars' occurrences (RLS keeps other members' private ones out), in start order, with
 * the pairs that overlap (calendar.conflicts; all-day events do not clash with timed ones).
 */
export async function agendaIn(
  db: Db,
  spaceId: string,
  from: Date,
  to: Date,
): Promise<{ items: AgendaItem[]; conflicts: Array<{ a: string; b: string }> }> {
  if (!(to > from)) throw new AppError('invalid_input', 'query.to: must be after from', { field: 'to' });
  if (to.getTime() - from.getTime() > MAX_WINDOW_MS)
    throw new AppError('invalid_input', 'query.to: at most 62 days after from', { field: 'to' });
  const items: AgendaItem[] = [];
  for (const r of await listEntriesFor(db, spaceId, from, to))
    for (const o of entryOccurrences(r, from, to))
      items.push({
        key: `own:${r.id}:${o.start.toISOString()}`,
        source: 'own',
        eventId: r.id,
        connectorId: null,
        title: r.title,
        location: r.location,
        startsAt: o.start.toISOString(),
        endsAt: o.end.toISOString(),
        allDay: r.all_day,
        recurring: r.rrule !== null,
        writable: true,
        visibility: r.visibility as AgendaItem['visibility'],
        createdBy: r.created_by_name,
        conflictsWith: [],
        demo: r.demo,
      });
  for (const o of await listCalendarOccurrences(db, spaceId, { from, to, limit: 2000 }))
    items.push({
      key: `connected:${o.eventId}:${o.startsAt.toISOString()}`,
      source: 'connected',
      eventId: o.eventId,
      connectorId: o.connectorId,
      title: o.summary,
      location: o.location,
      startsAt: o.startsAt.toISOString(),
      endsAt: o.endsAt.toISOString(),
      allDay: o.allDay,
      recurring: false,
      writable: o.writable,
      visibility: o.visibility as AgendaItem['visibility'],
      createdBy: null,
      conflictsWith: [],
      demo: false,
    });
  items.sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.key.localeCompare(b.key));
  const timed = items.filter((i) => !i.allDay).slice(0, 1500);
  const conflicts =
    timed.length > 1
      ? ((await runSkill(standaloneSkillContext(), 'calendar.conflicts', {
          events: timed.map((i) => ({ id: i.key, start: i.startsAt, end: i.endsAt, timeZone: 'UTC' })),
          from: from.toISOString(),
          to: to.toISOString(),
        })) as Array<{ a: string; b: string }>)
      : [];
  const byKey = new Map(items.map((i) => [i.key, i]));
  for (const c of conflicts) {
    byKey.get(c.a)?.conflictsWith.push(c.b);
    byKey.get(c.b)?.conflictsWith.push(c.a);
  }
  return { items, conflicts };
}

export async function getAgenda(ctx: ActorCtx, q: { from: string; to: string }) {
  return inSpace(ctx, async (c) => ({
    ...(await agendaIn(c.db, ctx.actor.spaceId, new Date(q.from), new Date(q.to))),
    writableCalendars: ctx.actor.role === 'child' ? [] : await listWritableCalendars(c.db, ctx.actor.spaceId),
  }));
}

export interface NewEntry {
  title: string;
  startsAt: Date;
  endsAt: Date;
  allDay?: boolean;
  location?: string;
  notes?: string;
  rrule?: string | null;
  attendees?: string[];
  timeZone: string;
  visibility: 'shared' | 'private';
  ownerAccountId: string;
  createdByAccountId: string | null;
  agentId?: string | null;
  idempotencyKey?: string | null;
  demo?: boolean;
}

/** Adds an own event in a tenant transaction, announcing it to meeting-prep agents when it is soon. */
export async function createEntryIn(ctx: Pick<Ctx, 'deps' | 'log'>, db: Db, now: Date, spaceId: string, e: NewEntry): Promise<string> {
  if (e.endsAt < e.startsAt) throw new AppError('invalid_input', 'body.endsAt: must not be before the start', { field: 'endsAt' });
  const rrule = e.rrule ? checkRule(e.rrule) : null;
  const id = await insertEntry(db, {
    id: newId(),
    space_id: spaceId,
    owner_account_id: e.ownerAccountId,
    visibility: e.visibility,
    title: e.title,
    notes: e.notes ?? '',
    location: e.location ?? '',
    starts_at: e.startsAt,
    ends_at: e.endsAt,
    all_day: e.allDay ?? false,
    time_zone: e.timeZone,
    rrule,
    attendees: (e.attendees ?? []).map((a) => a.toLowerCase()),
    created_by_account_id: e.createdByAccountId,
    created_by_agent_id: e.agentId ?? null,
    updated_by: e.createdByAccountId,
    idempotency_key: e.idempotencyKey ?? null,
    demo: e.demo ?? false,
    created_at: now,
    updated_at: now,
  });
  await announceUpcoming({ ...ctx, db, actor: null, now: () => now }, db, [
    {
      id,
      space_id: spaceId,
      owner_account_id: e.ownerAccountId,
      visibility: e.visibility,
      starts_at: e.startsAt,
      ends_at: e.endsAt,
      rrule,
      time_zone: e.timeZone,
      all_day: e.allDay ?? false,
    },
  ]);
  return id;
}

const UPCOMING_MS = 7 * 86_400_000;
type Announceable = Pick<
  EntryRow,
  'id' | 'space_id' | 'owner_account_id' | 'visibility' | 'starts_at' | 'ends_at' | 'rrule' | 'time_zone' | 'all_day'
>;

/** Raises `calendar.event_upcoming` once per own occurrence in the next 7 days (as the connectors do for theirs). */
async function announceUpcoming(ctx: Ctx, db: Db, rows: Announceable[]): Promise<void> {
  const now = ctx.now();
  const until = new Date(now.getTime() + UPCOMING_MS);
  for (const r of rows)
    for (const o of entryOccurrences(r, now, until).filter((x) => x.start > now))
      await raiseEvent(
        { ...ctx, db },
        {
          spaceId: r.space_id,
          ownerAccountId: r.owner_account_id,
          visibility: r.visibility as 'shared' | 'private',
          type: 'calendar.event_upcoming',
          source: 'app:calendar',
          dedupeKey: `own:${r.id}:${o.start.toISOString()}`,
          data: { source: 'own', eventId: r.id, startsAt: o.start.toISOString(), endsAt: o.end.toISOString(), allDay: r.all_day },
        },
      );
}

/** Every hour: repeating own events whose next occurrences came within 7 days are announced (once each). */
export async function announceUpcomingEntries(ctx: Ctx): Promise<void> {
  const now = ctx.now();
  const rows = await listEntriesStartingBefore(ctx.deps.db, now, new Date(now.getTime() + UPCOMING_MS), 5000);
  await ctx.deps.db.transaction().execute((tx) => announceUpcoming({ ...ctx, db: tx }, tx, rows));
}

export async function createEvent(
  ctx: ActorCtx,
  input: {
    title: string;
    startsAt: string;
    endsAt: string;
    allDay: boolean;
    location?: string;
    notes?: string;
    rrule?: string;
    attendees?: string[];
    visibility?: 'shared' | 'private';
    connectorId?: string;
  },
): Promise<{ source: 'own' | 'connected'; eventId: string }> {
  const visibility = visibilityFor(ctx.actor, input.visibility);
  assertMayCreate(ctx.actor, 'event', visibility);
  if (input.connectorId) {
    // Written to the connected CalDAV calendar through the connectors' own skill (the person acts: no suggestion).
    if (input.rrule)
      throw new AppError(
        'invalid_input',
        'Repeating events can be added to your own calendar here; add repeats in the connected calendar’s app.',
      );
    const sctx = await createSkillContext(ctx, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId, idempotencyKey: newId() });
    const r = (await runSkill(sctx, 'calendar.create-event', {
      connectorId: input.connectorId,
      summary: input.title,
      startsAt: input.startsAt,
      endsAt: input.endsAt,
      allDay: input.allDay,
      ...(input.location ? { location: input.location } : {}),
      ...(input.notes ? { description: input.notes } : {}),
    })) as { eventId: string };
    return { source: 'connected', eventId: r.eventId };
  }
  return inSpace(ctx, async (c) => ({
    source: 'own' as const,
    eventId: await createEntryIn(c, c.db, ctx.now(), ctx.actor.spaceId, {
      ...input,
      startsAt: new Date(input.startsAt),
      endsAt: new Date(input.endsAt),
      timeZone: ctx.actor.timeZone,
      visibility,
      ownerAccountId: ctx.actor.accountId,
      createdByAccountId: ctx.actor.accountId,
    }),
  }));
}

async function getRow(ctx: ActorCtx, db: Db, id: string): Promise<EntryRow> {
  const r = await findEntry(db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That event was not found.');
  return r;
}

export async function getEvent(ctx: ActorCtx, id: string): Promise<OwnEventView> {
  return inSpace(ctx, async (c) => presentEntry(await getRow(ctx, c.db, id)));
}

export async function updateEvent(
  ctx: ActorCtx,
  id: string,
  patch: { title?: string; startsAt?: string; endsAt?: string; location?: string; notes?: string; rrule?: string | null },
): Promise<OwnEventView> {
  return inSpace(ctx, async (c) => {
    const r = await getRow(ctx, c.db, id);
    assertMayEdit(ctx.actor, 'event', r);
    const startsAt = patch.startsAt ? new Date(patch.startsAt) : r.starts_at;
    const endsAt = patch.endsAt ? new Date(patch.endsAt) : r.ends_at;
    if (endsAt < startsAt) throw new AppError('invalid_input', 'body.endsAt: must not be before the start', { field: 'endsAt' });
    const rrule = patch.rrule === undefined ? r.rrule : patch.rrule ? checkRule(patch.rrule) : null;
    await updateRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.location !== undefined ? { location: patch.location } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      starts_at: startsAt,
      ends_at: endsAt,
      rrule,
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
    const after = await getRow(ctx, c.db, id);
    await raiseEvent(c, {
      spaceId: ctx.actor.spaceId,
      ownerAccountId: r.owner_account_id,
      visibility: r.visibility as 'shared' | 'private',
      type: 'calendar.event_changed',
      source: 'app:calendar',
      dedupeKey: `own:${id}:${ctx.now().toISOString()}`,
      data: { source: 'own', eventId: id, startsAt: after.starts_at.toISOString() },
    });
    await announceUpcoming(c, c.db, [after]);
    return presentEntry(after);
  });
}

export async function deleteEvent(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'event', await getRow(ctx, c.db, id));
    await deleteRow(c.db, ctx.actor.spaceId, id);
  });
}
