import * as C from '@csme/contracts/notes';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './notes.service.js';

export const notesRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listNotes, 'signed_in', (ctx, { query }) => S.listNotes(ctx, query));
  route(app, C.createNote, 'signed_in', (ctx, { body }) => S.createNote(ctx, body));
  route(app, C.getNote, 'signed_in', (ctx, { params }) => S.getNote(ctx, params.noteId));
  route(app, C.updateNote, 'signed_in', (ctx, { params, body }) => S.updateNote(ctx, params.noteId, body));
  route(app, C.deleteNote, 'signed_in', async (ctx, { params }) => {
    await S.deleteNote(ctx, params.noteId);
    return { ok: true as const };
  });
};
