import { CATEGORIES, type ListDetail, type ListItemView, type ListSummary } from '@csme/contracts/lists';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { raiseEvent } from '#modules/runs/index.js';
import { runSkill, standaloneSkillContext } from '#modules/skills/index.js';
import { assertMayChangeItem, assertMayCreate, assertMayEdit, visibilityFor } from '../apps.policy.js';
import {
  deleteItems,
  deleteList as deleteListRow,
  deleteStaple,
  findItem,
  findList,
  type ItemRow,
  insertItem,
  insertList,
  insertStaple,
  itemsWithKeyPrefix,
  type ListRow,
  listItems,
  listLists as listListRows,
  listStaples,
  lockList,
  updateItem,
  updateList as updateListRow,
} from './lists.repository.js';

type Category = (typeof CATEGORIES)[number];
export interface NewItem {
  name: string;
  quantity?: number | null;
  unit?: string | null;
  category?: Category;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const normName = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

export function presentList(r: ListRow): ListSummary {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ListSummary['kind'],
    visibility: r.visibility as ListSummary['visibility'],
    openItems: Number(r.open_items ?? 0),
    createdBy: r.created_by_name,
    updatedBy: r.updated_by_name,
    updatedAt: r.updated_at.toISOString(),
    demo: r.demo,
  };
}

function presentItem(r: ItemRow, staples: Set<string>): ListItemView {
  return {
    id: r.id,
    name: r.name,
    quantity: num(r.quantity),
    unit: r.unit,
    category: (CATEGORIES as readonly string[]).includes(r.category) ? (r.category as Category) : 'other',
    done: r.done,
    staple: staples.has(normName(r.name)),
    addedBy: r.added_by_name,
    addedByAgent: r.added_by_agent_id !== null,
    updatedBy: r.updated_by_name,
    createdAt: r.created_at.toISOString(),
  };
}

/** A list with its items, open ones grouped by aisle in shop order, and the staples not on it. */
export async function listDetail(db: Db, spaceId: string, list: ListRow): Promise<ListDetail> {
  const staplesRows = await listStaples(db, spaceId, list.id);
  const stapleNames = new Set(staplesRows.map((s) => normName(s.name)));
  const items = (await listItems(db, spaceId, list.id)).map((r) => presentItem(r, stapleNames));
  const open = items.filter((i) => !i.done);
  const openNames = new Set(open.map((i) => normName(i.name)));
  return {
    ...presentList(list),
    openItems: open.length,
    items,
    aisles: CATEGORIES.map((category) => ({ category, items: open.filter((i) => i.category === category) })).filter((a) => a.items.length),
    missingStaples: staplesRows
      .filter((s) => !openNames.has(normName(s.name)))
      .map((s) => ({ name: s.name, quantity: num(s.quantity), unit: s.unit, category: s.category as Category })),
  };
}

/** Items in plain words, read by `shopping.parse` (names singular and lowercase, each with its aisle). */
export async function parseItems(text: string): Promise<NewItem[]> {
  const out = (await runSkill(standaloneSkillContext(), 'shopping.parse', { text })) as NewItem[];
  if (!out.length)
    throw new AppError('invalid_input', 'No items were found in that text; write them like "2 litres of milk, eggs and bread".');
  return out;
}

/** The aisle of one item typed on its own, from shopping.parse's lexicon. */
async function categoryOf(name: string): Promise<Category> {
  try {
    const [first] = (await runSkill(standaloneSkillContext(), 'shopping.parse', { text: name })) as NewItem[];
    return first?.category ?? 'other';
  } catch {
    return 'other';
  }
}

/**
 * Adds items to a list in the caller's tenant transaction and raises `list.item_added` once. The
 * same item already open on the list merges into it (quantities add up when the units agree; other
 * units make a separate line); an item that was ticked comes back unticked. With a key, each item
 * is added once however often the action is retried.
 */
export async function addItemsIn(
  ctx: Pick<Ctx, 'deps' | 'log'> & { now(): Date },
  db: Db,
  list: Pick<ListRow, 'id' | 'space_id' | 'owner_account_id' | 'visibility' | 'kind'>,
  items: NewItem[],
  by: { accountId: string | null; agentId?: string | null; idempotencyKey?: string | null; demo?: boolean },
): Promise<{ added: string[]; merged: string[] }> {
  const spaceId = list.space_id;
  await lockList(db, spaceId, list.id);
  if (by.idempotencyKey && (await itemsWithKeyPrefix(db, spaceId, `${by.idempotencyKey}:`)).length) return { added: [], merged: [] };
  const now = ctx.now();
  const existing = await listItems(db, spaceId, list.id);
  const added: string[] = [];
  const merged: string[] = [];
  for (const [n, raw] of items.entries()) {
    // Compared without case and spacing; shopping items lower-case (as shopping.parse names them),
    // other lists' items kept as written ("Call the Plumber" on a to-do list).
    const name = list.kind === 'shopping' ? normName(raw.name) : raw.name.trim().replace(/\s+/g, ' ');
    if (!name) continue;
    const unit = raw.unit?.trim().toLowerCase() || null;
    const quantity = raw.quantity ?? null;
    const category = raw.category ?? (await categoryOf(name));
    const same = existing.filter((e) => normName(e.name) === normName(name) && (e.unit ?? null) === unit);
    const open = same.find((e) => !e.done);
    if (open) {
      const q = num(open.quantity);
      const sum = q === null && quantity === null ? null : unit ? (q ?? 0) + (quantity ?? 0) || null : (q ?? 1) + (quantity ?? 1);
      await updateItem(db, spaceId, open.id, { quantity: sum, updated_by: by.accountId, updated_at: now });
      open.quantity = sum === null ? null : String(sum);
      merged.push(open.id);
      continue;
    }
    const ticked = same.find((e) => e.done);
    if (ticked) {
      await updateItem(db, spaceId, ticked.id, { done: false, done_at: null, quantity, updated_by: by.accountId, updated_at: now });
      ticked.done = false;
      ticked.quantity = quantity === null ? null : String(quantity);
      merged.push(ticked.id);
      continue;
    }
    const id = newId();
    await insertItem(db, {
      id,
      list_id: list.id,
      space_id: spaceId,
      owner_account_id: list.owner_account_id,
      visibility: list.visibility,
      name,
      quantity,
      unit,
      category,
      added_by_account_id: by.accountId,
      added_by_agent_id: by.agentId ?? null,
      updated_by: by.accountId,
      idempotency_key: by.idempotencyKey ? `${by.idempotencyKey}:${n}` : null,
      demo: by.demo ?? false,
      created_at: now,
      updated_at: now,
    });
    existing.push({
      id,
      name,
      unit,
      quantity: quantity === null ? null : String(quantity),
      done: false,
    } as ItemRow);
    added.push(id);
  }
  await updateListRow(db, spaceId, list.id, { updated_at: now, updated_by: by.accountId });
  if (added.length || merged.length)
    await raiseEvent(
      { deps: ctx.deps, log: ctx.log, db, actor: null, now: () => now },
      {
        spaceId,
        ownerAccountId: list.owner_account_id,
        visibility: list.visibility as 'shared' | 'private',
        type: 'list.item_added',
        source: 'app:lists',
        dedupeKey: `${list.id}:${(added[0] ?? merged[0])!}:${now.toISOString()}`,
        data: { listId: list.id, itemIds: [...added, ...merged].slice(0, 50) },
      },
    );
  return { added, merged };
}

/** Creates a list in a tenant transaction; returns its id. */
export async function createListIn(
  db: Db,
  now: Date,
  spaceId: string,
  l: {
    name: string;
    kind: string;
    visibility: 'shared' | 'private';
    ownerAccountId: string;
    createdByAccountId: string | null;
    demo?: boolean;
  },
): Promise<string> {
  const id = newId();
  await insertList(db, {
    id,
    space_id: spaceId,
    owner_account_id: l.ownerAccountId,
    visibility: l.visibility,
    name: l.name,
    kind: l.kind,
    created_by_account_id: l.createdByAccountId,
    updated_by: l.createdByAccountId,
    demo: l.demo ?? false,
    created_at: now,
    updated_at: now,
  });
  return id;
}

/** Remembers an item as a staple (suggested whenever it is not on the list). */
export async function addStapleIn(
  db: Db,
  list: Pick<ListRow, 'id' | 'space_id' | 'owner_account_id' | 'visibility'>,
  s: NewItem & { demo?: boolean },
) {
  await insertStaple(db, {
    id: newId(),
    list_id: list.id,
    space_id: list.space_id,
    owner_account_id: list.owner_account_id,
    visibility: list.visibility,
    name: normName(s.name),
    quantity: s.quantity ?? null,
    unit: s.unit ?? null,
    category: s.category ?? 'other',
    demo: s.demo ?? false,
  });
}

async function getListRow(ctx: ActorCtx, db: Db, id: string): Promise<ListRow> {
  const r = await findList(db, ctx.actor.spaceId, id);
  if (!r) throw new AppError('not_found', 'That list was not found.');
  return r;
}

const detail = async (ctx: ActorCtx, db: Db, id: string) => listDetail(db, ctx.actor.spaceId, await getListRow(ctx, db, id));

export async function listLists(ctx: ActorCtx) {
  return inSpace(ctx, async (c) => ({ items: (await listListRows(c.db, ctx.actor.spaceId)).map(presentList) }));
}

export async function getList(ctx: ActorCtx, id: string): Promise<ListDetail> {
  return inSpace(ctx, (c) => detail(ctx, c.db, id));
}

export async function createList(
  ctx: ActorCtx,
  input: { name: string; kind: string; visibility?: 'shared' | 'private' },
): Promise<ListDetail> {
  const visibility = visibilityFor(ctx.actor, input.visibility);
  assertMayCreate(ctx.actor, 'list', visibility);
  return inSpace(ctx, async (c) => {
    const id = await createListIn(c.db, ctx.now(), ctx.actor.spaceId, {
      ...input,
      visibility,
      ownerAccountId: ctx.actor.accountId,
      createdByAccountId: ctx.actor.accountId,
    });
    return detail(ctx, c.db, id);
  });
}

export async function updateList(ctx: ActorCtx, id: string, patch: { name: string }): Promise<ListDetail> {
  return inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'list', await getListRow(ctx, c.db, id));
    await updateListRow(c.db, ctx.actor.spaceId, id, { name: patch.name, updated_by: ctx.actor.accountId, updated_at: ctx.now() });
    return detail(ctx, c.db, id);
  });
}

export async function deleteList(ctx: ActorCtx, id: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    assertMayEdit(ctx.actor, 'list', await getListRow(ctx, c.db, id));
    await deleteListRow(c.db, ctx.actor.spaceId, id);
  });
}

export async function addItems(
  ctx: ActorCtx,
  listId: string,
  input: { text: string } | { items: NewItem[] },
): Promise<ListDetail & { added: string[]; merged: string[] }> {
  return inSpace(ctx, async (c) => {
    const list = await getListRow(ctx, c.db, listId);
    // Shopping lists read amounts and aisles; other lists take each line (or comma-separated part) as it is.
    const items =
      'text' in input
        ? list.kind === 'shopping'
          ? await parseItems(input.text)
          : input.text
              .split(/\n|,|;/)
              .map((t) => t.trim())
              .filter(Boolean)
              .slice(0, 100)
              .map((name) => ({ name: name.slice(0, 200), category: 'other' as const }))
        : input.items;
    assertMayChangeItem(ctx.actor, list, 'add');
    const r = await addItemsIn(c, c.db, list, items, { accountId: ctx.actor.accountId });
    return { ...(await detail(ctx, c.db, listId)), ...r };
  });
}

export async function updateItemOf(
  ctx: ActorCtx,
  listId: string,
  itemId: string,
  patch: { done?: boolean; staple?: boolean; name?: string; quantity?: number | null; unit?: string | null; category?: Category },
): Promise<ListDetail> {
  return inSpace(ctx, async (c) => {
    const list = await getListRow(ctx, c.db, listId);
    const item = await findItem(c.db, ctx.actor.spaceId, listId, itemId);
    if (!item) throw new AppError('not_found', 'That item is not on this list.');
    const editing = patch.name !== undefined || patch.quantity !== undefined || patch.unit !== undefined || patch.category !== undefined;
    assertMayChangeItem(ctx.actor, list, editing || patch.staple !== undefined ? 'edit' : 'tick');
    const now = ctx.now();
    await updateItem(c.db, ctx.actor.spaceId, itemId, {
      ...(patch.done !== undefined ? { done: patch.done, done_at: patch.done ? now : null } : {}),
      ...(patch.name !== undefined ? { name: normName(patch.name) } : {}),
      ...(patch.quantity !== undefined ? { quantity: patch.quantity } : {}),
      ...(patch.unit !== undefined ? { unit: patch.unit?.toLowerCase() || null } : {}),
      ...(patch.category !== undefined ? { category: patch.category } : {}),
      updated_by: ctx.actor.accountId,
      updated_at: now,
    });
    if (patch.staple === true)
      await addStapleIn(c.db, list, {
        name: patch.name ?? item.name,
        quantity: num(item.quantity),
        unit: item.unit,
        category: (patch.category ?? item.category) as Category,
      });
    if (patch.staple === false) await deleteStaple(c.db, ctx.actor.spaceId, listId, normName(item.name));
    await updateListRow(c.db, ctx.actor.spaceId, listId, { updated_by: ctx.actor.accountId, updated_at: now });
    return detail(ctx, c.db, listId);
  });
}

export async function deleteItem(ctx: ActorCtx, listId: string, itemId: string): Promise<ListDetail> {
  return inSpace(ctx, async (c) => {
    const list = await getListRow(ctx, c.db, listId);
    if (!(await findItem(c.db, ctx.actor.spaceId, listId, itemId))) throw new AppError('not_found', 'That item is not on this list.');
    assertMayChangeItem(ctx.actor, list, 'delete');
    await deleteItems(c.db, ctx.actor.spaceId, listId, { id: itemId });
    return detail(ctx, c.db, listId);
  });
}

export async function clearDone(ctx: ActorCtx, listId: string): Promise<ListDetail> {
  return inSpace(ctx, async (c) => {
    const list = await getListRow(ctx, c.db, listId);
    assertMayChangeItem(ctx.actor, list, 'delete');
    await deleteItems(c.db, ctx.actor.spaceId, listId, { done: true });
    return detail(ctx, c.db, listId);
  });
}
