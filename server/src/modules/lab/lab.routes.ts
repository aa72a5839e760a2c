import * as C from '@csme/contracts/lab';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { resolveRange } from '#modules/costs/index.js';
import { getParticipation, labReport, promoteVariant, setParticipation } from './lab.service.js';

export const labRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.adminLab, 'operator', (ctx, { query }) => labReport(ctx, resolveRange(ctx, query)));
  route(app, C.adminPromoteVariant, 'operator', (ctx, { body }) => promoteVariant(ctx, body));
  route(app, C.getLabParticipation, 'signed_in', (ctx) => getParticipation(ctx));
  route(app, C.setLabParticipation, 'signed_in', (ctx, { body }) => setParticipation(ctx, body.optedOut));
};
