import * as C from '@csme/contracts/lists';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './lists.service.js';

export const listsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listLists, 'signed_in', (ctx) => S.listLists(ctx));
  route(app, C.createList, 'signed_in', (ctx, { body }) => S.createList(ctx, body));
  route(app, C.getList, 'signed_in', (ctx, { params }) => S.getList(ctx, params.listId));
  route(app, C.updateList, 'signed_in', (ctx, { params, body }) => S.updateList(ctx, params.listId, body));
  route(app, C.deleteList, 'signed_in', async (ctx, { params }) => {
    await S.deleteList(ctx, params.listId);
    return { ok: true as const };
  });
  route(app, C.addListItems, 'signed_in', (ctx, { params, body }) => S.addItems(ctx, params.listId, body));
  route(app, C.updateListItem, 'signed_in', (ctx, { params, body }) => S.updateItemOf(ctx, params.listId, params.itemId, body));
  route(app, C.deleteListItem, 'signed_in', (ctx, { params }) => S.deleteItem(ctx, params.listId, params.itemId));
  route(app, C.clearDoneItems, 'signed_in', (ctx, { params }) => S.clearDone(ctx, params.listId));
};
