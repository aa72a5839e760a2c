import type { NoteView } from '@csme/contracts/notes';
import type { ActorCtx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { assertMayCreate, assertMayEdit, visibilityFor } from '../apps.policy.js';
import {
  deleteNote as deleteRow,
  findNote,
  insertNote,
  listNotes as listRows,
  type NoteRow,
  updateNote as updateRow,
} from './notes.repository.js';

export function presentNote(r: NoteRow): NoteView {
  return {
    id: r.id,
    title: r.title,
    body: r.body,
    visibility: r.visibility as NoteView['visibility'],
    createdByAgent: r.created_by_agent_id !== null,
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    demo: r.demo,
  };
}

const encode = (n: NoteView) => Buffer.from(`${n.updatedAt}|${n.id}`).toString('base64url');
function decode(c: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/.test(id) || Number.isNaN(d.getTime()))
    throw new AppError('invalid_input', 'The page cursor is not valid; start from the first page.');
  return { at: d, id };
}

export async function listNotes(ctx: ActorCtx, q: { q?: string; limit: number; cursor?: string }) {
  return inSpace(ctx, async (c) => {
    const rows = await listRows(c.db, ctx.actor.spaceId, {
      limit: q.limit,
      before: q.cursor ? decode(q.cursor) : undefined,
      search: q.q || undefined,
    });
    const items = rows.slice(0, q.limit).map(presentNote);
    return { items, nextCursor: rows.length > q.limit ? encode(items.at(-1)!) : null };
  });
}

export interface NewNote {
  title: string;
  body: string;
  visibility: 'shared' | 'private';
  ownerAccountId: string;
  createdByAccountId: string | null;
  agentId?: string | null;
  idempotencyKey?: string | null;
  demo?: boolean;
}

/** Inserts a note in a tenant transaction (`db`), once per idempotency key. */
export async function createNoteIn(db: Db, now: Date, spaceId: string, n: NewNote): Promise<string> {
  return insertNote(db, {
    id: newId(),
    space_id: spaceId,
    owner_account_id: n.ownerAccountId,
    visibility: n.visibility,
    title: n.title,
    body: n.body,
    created_by_account_id: n.createdByAccountId,
    created_by_agent_id: n.agentId ?? null,
    updated_by: n.createdByAccountId,
    idempotency_key: n.idempotencyKey ?? null,
    demo: n.demo ?? false,
    created_at: now,
    updated_at: now,
  });
}

export async function createNote(
  ctx: ActorCtx,
  input: { title: string; body: string; visibility?: 'shared' | 'private' },
): Promise<NoteView> {
  const visibility = visibilityFor(ctx.actor, input.visibility);
  assertMayCreate(ctx.actor, 'note', visibility);
  return inSpace(ctx, async (c) => {
    const id = await createNoteIn(c.db, ctx.now(), ctx.actor.spaceId, {
      title: input.title,
      body: input.body,
      visibility,
      ownerAccountId: ctx.actor.accountId,
      createdByAccountId: ctx.actor.accountId,
    });
    return presentNote((await findNote(c.db, ctx.actor.spaceId, id))!);
  });
}

async function row(ctx: ActorCtx, db: Db, id: string): Promise<NoteRow> {
  const r = await findNote(db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That note was not found.');
  return r;
}

export async function getNote(ctx: ActorCtx, id: string): Promise<NoteView> {
  return inSpace(ctx, async (c) => presentNote(await row(ctx, c.db, id)));
}

export async function updateNote(ctx: ActorCtx, id: string, patch: { title?: string; body?: string }): Promise<NoteView> {
  return inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'note', await row(ctx, c.db, id));
    await updateRow(c.db, ctx.actor.spaceId, id, {
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.body !== undefined ? { body: patch.body } : {}),
      updated_by: ctx.actor.accountId,
      updated_at: ctx.now(),
    });
    return presentNote(await row(ctx, c.db, id));
  });
}

export async function deleteNote(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'note', await row(ctx, c.db, id));
    await deleteRow(c.db, ctx.actor.spaceId, id);
  });
}
