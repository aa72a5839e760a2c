import * as C from '@csme/contracts/packs';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './agents.service.js';

export const agentsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listAgents, 'signed_in', async (ctx) => ({ items: await S.listAgents(ctx) }));
  route(app, C.getAgent, 'signed_in', (ctx, { params }) => S.getAgent(ctx, params.agentId));
  route(app, C.updateAgent, 'signed_in', (ctx, { params, body }) => S.updateAgent(ctx, params.agentId, body));
  route(app, C.createWebhookUrl, 'signed_in', (ctx, { params, body }) => S.createWebhookUrl(ctx, params.agentId, body.hmac));
};
