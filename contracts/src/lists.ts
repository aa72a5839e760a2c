import { z } from 'zod';
import { Id, Ok, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['lists'];

/** The aisles of shopping.parse, in the order a shop is walked. */
export const CATEGORIES = [
  'produce',
  'bakery',
  'dairy',
  'meat and fish',
  'pantry',
  'frozen',
  'drinks',
  'household',
  'personal care',
  'other',
] as const;
export const Category = z.enum(CATEGORIES);
export const LIST_KINDS = ['shopping', 'todo', 'other'] as const;

export const ListItemView = z.object({
  id: Id,
  name: z.string(),
  quantity: z.number().nullable(),
  unit: z.string().nullable(),
  category: Category,
  done: z.boolean(),
  staple: z.boolean(),
  addedBy: z.string().nullable(),
  addedByAgent: z.boolean(),
  updatedBy: z.string().nullable(),
  createdAt: z.string(),
});
export type ListItemView = z.infer<typeof ListItemView>;

export const StapleView = z.object({ name: z.string(), quantity: z.number().nullable(), unit: z.string().nullable(), category: Category });

export const ListSummary = z.object({
  id: Id,
  name: z.string(),
  kind: z.enum(LIST_KINDS),
  visibility: Visibility,
  openItems: z.number().int(),
  createdBy: z.string().nullable(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string(),
  demo: z.boolean(),
});
export type ListSummary = z.infer<typeof ListSummary>;

export const ListDetail = ListSummary.extend({
  items: z.array(ListItemView),
  /** Open items by aisle, in shop order (only aisles with items). */
  aisles: z.array(z.object({ category: Category, items: z.array(ListItemView) })),
  /** Staples (things usually bought) that are not on the list now. */
  missingStaples: z.array(StapleView),
});
export type ListDetail = z.infer<typeof ListDetail>;

export const listLists = endpoint({
  method: 'GET',
  path: '/api/v1/lists',
  summary: 'Lists of the active space (shared ones and your own)',
  tags,
  response: z.object({ items: z.array(ListSummary) }),
});
export const createList = endpoint({
  method: 'POST',
  path: '/api/v1/lists',
  summary: 'Start a list',
  tags,
  body: z.strictObject({
    name: Text(120).pipe(z.string().min(1, 'is required')),
    kind: z.enum(LIST_KINDS).default('shopping'),
    visibility: Visibility.optional(),
  }),
  response: ListDetail,
  status: 201,
});
const Params = z.strictObject({ listId: Id });
export const getList = endpoint({
  method: 'GET',
  path: '/api/v1/lists/:listId',
  summary: 'A list with its items by aisle',
  tags,
  params: Params,
  response: ListDetail,
});
export const updateList = endpoint({
  method: 'PATCH',
  path: '/api/v1/lists/:listId',
  summary: 'Rename a list',
  tags,
  params: Params,
  body: z.strictObject({ name: Text(120).pipe(z.string().min(1)) }),
  response: ListDetail,
});
export const deleteList = endpoint({
  method: 'DELETE',
  path: '/api/v1/lists/:listId',
  summary: 'Delete a list and its items',
  tags,
  params: Params,
  response: Ok,
});

export const NewItem = z.strictObject({
  name: Text(200).pipe(z.string().min(1, 'is required')),
  quantity: z.number().positive().max(100_000).optional(),
  unit: Text(30).optional(),
  category: Category.optional(),
});
export const addListItems = endpoint({
  method: 'POST',
  path: '/api/v1/lists/:listId/items',
  summary: 'Add items, in plain words ("2 litres of milk, a dozen eggs") or one by one; the same item twice merges',
  tags,
  params: Params,
  body: z.union([
    z.strictObject({ text: Text(5000).pipe(z.string().min(1, 'is required')) }),
    z.strictObject({ items: z.array(NewItem).min(1).max(100) }),
  ]),
  response: ListDetail.extend({ added: z.array(Id), merged: z.array(Id) }),
  status: 201,
});
const ItemParams = z.strictObject({ listId: Id, itemId: Id });
export const updateListItem = endpoint({
  method: 'PATCH',
  path: '/api/v1/lists/:listId/items/:itemId',
  summary: 'Tick, untick, change an item or mark it a staple',
  tags,
  params: ItemParams,
  body: z.strictObject({
    done: z.boolean().optional(),
    staple: z.boolean().optional(),
    name: Text(200).pipe(z.string().min(1)).optional(),
    quantity: z.number().positive().max(100_000).nullable().optional(),
    unit: Text(30).nullable().optional(),
    category: Category.optional(),
  }),
  response: ListDetail,
});
export const deleteListItem = endpoint({
  method: 'DELETE',
  path: '/api/v1/lists/:listId/items/:itemId',
  summary: 'Remove an item',
  tags,
  params: ItemParams,
  response: ListDetail,
});
export const clearDoneItems = endpoint({
  method: 'POST',
  path: '/api/v1/lists/:listId/clear-done',
  summary: 'Remove the ticked items (staples stay remembered)',
  tags,
  params: Params,
  response: ListDetail,
});
