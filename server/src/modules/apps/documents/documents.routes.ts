import * as C from '@csme/contracts/documents';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { makeCardsFromDocument } from '../cards/cards.service.js';
import * as S from './documents.service.js';

export const documentsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listDocuments, 'signed_in', (ctx) => S.listDocuments(ctx));
  route(app, C.addDocument, 'signed_in', (ctx, { body }) => S.addDocument(ctx, body));
  route(app, C.getDocument, 'signed_in', (ctx, { params }) => S.getDocument(ctx, params.documentId));
  route(app, C.updateDocument, 'signed_in', (ctx, { params, body }) => S.updateDocument(ctx, params.documentId, body));
  route(app, C.deleteDocument, 'signed_in', async (ctx, { params }) => {
    await S.deleteDocument(ctx, params.documentId);
    return { ok: true as const };
  });
  route(app, C.makeDocumentCards, 'signed_in', (ctx, { params, body }) => makeCardsFromDocument(ctx, params.documentId, body.count));
};
