import * as C from '@csme/contracts/models';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './models.service.js';

export const modelsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getModelStatus, 'signed_in', (ctx) => S.getModelStatus(ctx));
  route(app, C.setPersonalModel, 'signed_in', (ctx, { body }) => S.setPersonalModel(ctx, body));
  route(app, C.removePersonalModel, 'signed_in', (ctx) => S.removePersonalModel(ctx));
  route(app, C.setLocalOnly, 'signed_in', (ctx, { body }) => S.setLocalOnly(ctx, body.localOnly));
};
