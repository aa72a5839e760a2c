import type { TaskView } from '@csme/contracts/tasks';
import type { Actor, ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { raiseEvent } from '#modules/runs/index.js';
import {
  deleteTask as deleteRow,
  findTask,
  insertTask,
  listTasks as listRows,
  type TaskRow,
  updateTask as updateRow,
} from './tasks.repository.js';

export function presentTask(r: TaskRow): TaskView {
  return {
    id: r.id,
    title: r.title,
    notes: r.notes,
    dueAt: r.due_at?.toISOString() ?? null,
    priority: r.priority as TaskView['priority'],
    status: r.status as TaskView['status'],
    completedAt: r.completed_at?.toISOString() ?? null,
    visibility: r.visibility as TaskView['visibility'],
    createdAt: r.created_at.toISOString(),
    createdByAgent: r.created_by_agent_id !== null,
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
    suggestionId: r.source_suggestion_id,
  };
}

/** Family roles: a child keeps private tasks of their own; shared tasks are for adults to change. */
function assertMayWrite(actor: Actor, visibility: string) {
  if (actor.role === 'child' && visibility !== 'private')
    throw new AppError('forbidden', 'Only an adult of the family can add or change shared tasks.', { reason: 'child' });
}

export async function listTasks(ctx: ActorCtx, q: { status: string; limit: number; cursor?: string }) {
  return inSpace(ctx, async (c) => {
    const rows = await listRows(c.db, ctx.actor.spaceId, { status: q.status, limit: q.limit, before: q.cursor });
    const items = rows.slice(0, q.limit).map(presentTask);
    return { items, nextCursor: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
  });
}

export interface NewTask {
  title: string;
  notes?: string;
  dueAt?: string | null;
  priority?: 'high' | 'normal' | 'low';
  visibility: 'shared' | 'private';
  ownerAccountId: string;
  createdByAccountId: string | null;
  agentId?: string | null;
  suggestionId?: string | null;
  idempotencyKey?: string | null;
  /** Sample data of the demo (removed with it). */
  demo?: boolean;
}

/** Creates a task in a tenant transaction (`db`), once per idempotency key, and raises `task.created`. */
export async function createTaskIn(
  db: Db,
  ctx: ActorCtx | { deps: ActorCtx['deps']; log: ActorCtx['log']; now(): Date },
  spaceId: string,
  t: NewTask,
): Promise<string> {
  const now = ctx.now();
  const id = await insertTask(db, {
    id: newId(),
    space_id: spaceId,
    owner_account_id: t.ownerAccountId,
    visibility: t.visibility,
    title: t.title,
    notes: t.notes ?? '',
    due_at: t.dueAt ? new Date(t.dueAt) : null,
    priority: t.priority ?? 'normal',
    created_by_account_id: t.createdByAccountId,
    created_by_agent_id: t.agentId ?? null,
    source_suggestion_id: t.suggestionId ?? null,
    idempotency_key: t.idempotencyKey ?? null,
    demo: t.demo ?? false,
    updated_by: t.createdByAccountId,
    created_at: now,
    updated_at: now,
  });
  await raiseEvent(
    { deps: ctx.deps, log: ctx.log, db, actor: null, now: () => now },
    {
      spaceId,
      ownerAccountId: t.ownerAccountId,
      visibility: t.visibility,
      type: 'task.created',
      source: 'app:tasks',
      dedupeKey: id,
      data: { taskId: id },
    },
  );
  return id;
}

export async function createTask(
  ctx: ActorCtx,
  input: { title: string; notes?: string; dueAt?: string | null; priority?: 'high' | 'normal' | 'low'; visibility?: 'shared' | 'private' },
): Promise<TaskView> {
  const visibility = ctx.actor.spaceKind === 'family' ? (input.visibility ?? 'shared') : 'private';
  assertMayWrite(ctx.actor, visibility);
  return inSpace(ctx, async (c) => {
    const id = await createTaskIn(c.db, c, ctx.actor.spaceId, {
      ...input,
      visibility,
      ownerAccountId: ctx.actor.accountId,
      createdByAccountId: ctx.actor.accountId,
    });
    return presentTask((await findTask(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function updateTask(
  ctx: ActorCtx,
  id: string,
  patch: { title?: string; notes?: string; dueAt?: string | null; priority?: 'high' | 'normal' | 'low'; status?: 'open' | 'done' },
): Promise<TaskView> {
  return inSpace(ctx, async (c) => {
    const row = await findTask(c.db, ctx.actor.spaceId, id);
    if (!row) throw new AppError('not_found', 'That task was not found.');
    assertMayWrite(ctx.actor, row.visibility);
    const now = ctx.now();
    const completing = patch.status === 'done' && row.status !== 'done';
    await updateRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      ...(patch.dueAt !== undefined ? { due_at: patch.dueAt ? new Date(patch.dueAt) : null } : {}),
      ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
      ...(patch.status !== undefined ? { status: patch.status, completed_at: patch.status === 'done' ? now : null } : {}),
      updated_by: ctx.actor.accountId,
      updated_at: now,
    });
    if (completing) {
      await raiseEvent(c, {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: row.owner_account_id,
        visibility: row.visibility as 'shared' | 'private',
        type: 'task.completed',
        source: 'app:tasks',
        dedupeKey: `${id}:${now.toISOString()}`,
        data: { taskId: id },
      });
    }
    return presentTask((await findTask(c.db, ctx.actor.spaceId, id))!);
  });
}

export async function deleteTask(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    const row = await findTask(c.db, ctx.actor.spaceId, id);
    if (!row) throw new AppError('not_found', 'That task was not found.');
    assertMayWrite(ctx.actor, row.visibility);
    await deleteRow(c.db, ctx.actor.spaceId, id);
  });
}
