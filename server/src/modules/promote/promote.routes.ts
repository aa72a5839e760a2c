import * as C from '@csme/contracts/promote';
import { orgWorkflowJsonSchema } from '@csme/contracts/promote';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { createPromotion, getIoOffer, getPromotionDocument, listPromotions, retryPromotion } from './promote.service.js';

export const promoteRoutes: FastifyPluginAsync = async (app) => {
  const schema = orgWorkflowJsonSchema();
  route(app, C.orgWorkflowSchema, 'public', async () => schema);
  route(app, C.listPromotions, 'signed_in', (ctx) => listPromotions(ctx));
  route(app, C.createPromotion, 'signed_in', (ctx, { body }) => createPromotion(ctx, body.installationId));
  route(app, C.retryPromotion, 'signed_in', (ctx, { params }) => retryPromotion(ctx, params.promotionId));
  route(app, C.getPromotionDocument, 'signed_in', async (ctx, { params }, _req, reply) => {
    const { document, filename } = await getPromotionDocument(ctx, params.promotionId);
    reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'private, no-store')
      .send(JSON.stringify(document, null, 2));
    return undefined as never;
  });
  route(app, C.getIoOffer, 'signed_in', (ctx, { query }) => getIoOffer(ctx, query.reason));
};
