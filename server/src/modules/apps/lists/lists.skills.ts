import { CATEGORIES } from '@csme/contracts/lists';
import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import { findDefaultList, findList, type ListRow, listLists } from './lists.repository.js';
import { addItemsIn, createListIn, listDetail, type NewItem, parseItems } from './lists.service.js';

const Item = z.object({
  name: z.string().trim().min(1).max(200),
  quantity: z.number().positive().max(100_000).optional(),
  unit: z.string().max(30).optional(),
  category: z.enum(CATEGORIES).optional(),
});
const ItemOut = z.object({ name: z.string(), quantity: z.number().nullable(), unit: z.string().nullable(), category: z.string() });

/** The named list, or the default shopping list (made on first use, shared like the agent). */
async function targetList(
  sctx: SkillContext,
  db: Parameters<Parameters<SkillContext['inScope']>[0]>[0],
  listId: string | undefined,
  create: boolean,
) {
  if (listId) {
    const l = await findList(db, sctx.spaceId!, listId);
    if (!l) throw new AppError('not_found', 'That list was not found.');
    return l;
  }
  const found = await findDefaultList(db, sctx.spaceId!, 'shopping');
  if (found || !create) return found;
  const id = await createListIn(db, sctx.now, sctx.spaceId!, {
    name: sctx.locale === 'he' ? 'קניות' : 'Shopping',
    kind: 'shopping',
    visibility: sctx.visibility,
    ownerAccountId: sctx.accountId!,
    createdByAccountId: sctx.accountId,
  });
  return (await findList(db, sctx.spaceId!, id)) as ListRow;
}

function itemsWords(items: Array<{ name: string; quantity?: number | null; unit?: string | null }>): string {
  return items
    .slice(0, 20)
    .map((i) => [i.quantity ?? '', i.unit ?? '', i.name].filter(Boolean).join(' '))
    .join(', ');
}

export const listsList = defineSkill({
  id: 'lists.list',
  description: 'The lists of the person (shared ones and their own) with how many items are open',
  kind: 'read',
  scopes: ['lists:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({}),
  output: z.object({ lists: z.array(z.object({ id: z.uuid(), name: z.string(), kind: z.string(), openItems: z.number().int() })) }),
  async run(sctx) {
    const rows = await sctx.inScope((db) => listLists(db, sctx.spaceId!));
    return { lists: rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, openItems: Number(r.open_items ?? 0) })) };
  },
});

export const listsGet = defineSkill({
  id: 'lists.get',
  description: 'One list (the shopping list when none is named): its open items by aisle and the staples missing from it',
  kind: 'read',
  scopes: ['lists:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ listId: z.uuid().optional() }),
  output: z.object({
    list: z.object({ id: z.uuid(), name: z.string(), openItems: z.number().int() }).nullable(),
    aisles: z.array(z.object({ category: z.string(), items: z.array(ItemOut) })),
    missingStaples: z.array(ItemOut),
  }),
  async run(sctx, input) {
    return sctx.inScope(async (db) => {
      const l = await targetList(sctx, db, input.listId, false);
      if (!l) return { list: null, aisles: [], missingStaples: [] };
      const d = await listDetail(db, sctx.spaceId!, l);
      const out = (i: { name: string; quantity: number | null; unit: string | null; category: string }) => ({
        name: i.name,
        quantity: i.quantity,
        unit: i.unit,
        category: i.category,
      });
      return {
        list: { id: d.id, name: d.name, openItems: d.openItems },
        aisles: d.aisles.map((a) => ({ category: a.category, items: a.items.map(out) })),
        missingStaples: d.missingStaples.map(out),
      };
    });
  },
});

export const listsMissingStaples = defineSkill({
  id: 'lists.missing-staples',
  description: 'The staples (things usually bought) that are not on the shopping list now',
  kind: 'read',
  scopes: ['lists:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ listId: z.uuid().optional() }),
  output: z.object({ listId: z.uuid().nullable(), items: z.array(Item.extend({ category: z.enum(CATEGORIES) })) }),
  async run(sctx, input) {
    return sctx.inScope(async (db) => {
      const l = await targetList(sctx, db, input.listId, false);
      if (!l) return { listId: null, items: [] };
      const d = await listDetail(db, sctx.spaceId!, l);
      return {
        listId: l.id,
        items: d.missingStaples.map((s) => ({
          name: s.name,
          category: s.category,
          ...(s.quantity !== null ? { quantity: s.quantity } : {}),
          ...(s.unit ? { unit: s.unit } : {}),
        })),
      };
    });
  },
});

async function add(sctx: SkillContext, listId: string | undefined, items: NewItem[]) {
  if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'lists skills need a space');
  return sctx.inScope(async (db) => {
    const l = (await targetList(sctx, db, listId, true))!;
    const r = await addItemsIn(sctx.ctx, db, l, items, {
      accountId: sctx.accountId,
      agentId: sctx.agentId,
      idempotencyKey: sctx.idempotencyKey,
    });
    return { listId: l.id, added: r.added.length, merged: r.merged.length };
  });
}
const AddOut = z.object({ listId: z.uuid(), added: z.number().int(), merged: z.number().int() });

export const listsAddItems = defineSkill({
  id: 'lists.add-items',
  description: 'Add items to a list (the shopping list when none is named); the same item already there merges',
  kind: 'act',
  actionType: 'lists.add-items',
  scopes: ['lists:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ listId: z.uuid().optional(), items: z.array(Item).min(1).max(100) }),
  output: AddOut,
  preview: (i, locale) => ({
    title: locale === 'he' ? `להוסיף לרשימה: ${itemsWords(i.items)}` : `Add to the list: ${itemsWords(i.items)}`,
    summary: i.items.length > 20 ? (locale === 'he' ? `ועוד ${i.items.length - 20}` : `and ${i.items.length - 20} more`) : '',
  }),
  run: (sctx, input) => add(sctx, input.listId, input.items),
});

export const listsAddText = defineSkill({
  id: 'lists.add-text',
  description: 'Add items written in plain words ("2 litres of milk, a dozen eggs and some bananas") to a list',
  kind: 'act',
  actionType: 'lists.add-items',
  scopes: ['lists:write'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ listId: z.uuid().optional(), text: z.string().trim().min(1).max(5000) }),
  output: AddOut,
  preview: (i, locale) => ({
    title: locale === 'he' ? `להוסיף לרשימה: ${i.text.slice(0, 200)}` : `Add to the list: ${i.text.slice(0, 200)}`,
    summary: '',
  }),
  run: async (sctx, input) => add(sctx, input.listId, await parseItems(input.text)),
});

export const listsSkills = [listsList, listsGet, listsMissingStaples, listsAddItems, listsAddText];
