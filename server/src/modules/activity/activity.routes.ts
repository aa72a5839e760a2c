import * as C from '@csme/contracts/activity';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { listActivity, verifyChain } from './activity.service.js';

export const activityRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listActivity, 'signed_in', (ctx, { query }) => listActivity(ctx, query));
  route(app, C.verifyActivity, 'signed_in', (ctx) => verifyChain(ctx, ctx.actor.spaceId));
};
