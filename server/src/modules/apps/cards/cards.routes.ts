import * as C from '@csme/contracts/cards';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './cards.service.js';

export const cardsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listDecks, 'signed_in', (ctx) => S.listDecks(ctx));
  route(app, C.createDeck, 'signed_in', (ctx, { body }) => S.createDeck(ctx, body));
  route(app, C.deleteDeck, 'signed_in', async (ctx, { params }) => {
    await S.deleteDeck(ctx, params.deckId);
    return { ok: true as const };
  });
  route(app, C.listDeckCards, 'signed_in', (ctx, { params }) => S.listDeckCards(ctx, params.deckId));
  route(app, C.addCard, 'signed_in', (ctx, { params, body }) => S.addCard(ctx, params.deckId, body));
  route(app, C.deleteCard, 'signed_in', async (ctx, { params }) => {
    await S.deleteCard(ctx, params.cardId);
    return { ok: true as const };
  });
  route(app, C.reviewQueue, 'signed_in', (ctx, { query }) => S.reviewQueue(ctx, query));
  route(app, C.reviewCard, 'signed_in', (ctx, { params, body }) => S.reviewCard(ctx, params.cardId, body.rating));
};
