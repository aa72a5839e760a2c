import * as C from '@csme/contracts/demo';
import type { FastifyPluginAsync } from 'fastify';
import { inSpace } from '#core/ctx.js';
import { route } from '#core/http.js';
import * as S from './demo.service.js';

export const demoRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getDemo, 'signed_in', (ctx) => inSpace(ctx, (c) => S.demoStatus(c.db, ctx.actor.spaceId)));
  route(app, C.createDemo, 'signed_in', (ctx) => S.seedDemoAsPerson(ctx));
  route(app, C.deleteDemo, 'signed_in', (ctx) => S.removeDemoAsPerson(ctx));
};
