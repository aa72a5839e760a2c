import * as C from '@csme/contracts/suggestions';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './suggestions.service.js';

export const suggestionsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listSuggestions, 'signed_in', (ctx, { query }) => S.listSuggestions(ctx, query));
  route(app, C.getSuggestion, 'signed_in', (ctx, { params }) => S.getSuggestion(ctx, params.suggestionId));
  route(app, C.approveSuggestion, 'signed_in', (ctx, { params, body }) => S.approveSuggestion(ctx, params.suggestionId, body));
  route(app, C.rejectSuggestion, 'signed_in', (ctx, { params, body }) => S.rejectSuggestion(ctx, params.suggestionId, body.reason));
  route(app, C.alwaysAllow, 'signed_in', (ctx, { params, body }) => S.alwaysAllow(ctx, params.suggestionId, body.hash));
  route(app, C.resolveUnknown, 'signed_in', (ctx, { params, body }) => S.resolveUnknown(ctx, params.suggestionId, body.choice));
  route(app, C.batchApprove, 'signed_in', (ctx, { body }) => S.batchApprove(ctx, body.items));
};
