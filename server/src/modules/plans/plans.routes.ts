import { getUsage, listPlans as listPlansEndpoint } from '@csme/contracts/plans';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { getUsageView, listPlans } from './plans.service.js';

export const plansRoutes: FastifyPluginAsync = async (app) => {
  route(app, listPlansEndpoint, 'public', async (ctx) => ({ plans: await listPlans(ctx.db) }));
  route(app, getUsage, 'signed_in', (ctx) => getUsageView(ctx));
};
