import * as C from '@csme/contracts/costs';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { costReport, costsCsv, marginReport, quotaAdvice } from './costs.service.js';

export const costsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.adminCosts, 'operator', (ctx, { query }) => costReport(ctx, query));
  route(app, C.adminMargins, 'operator', (ctx, { query }) => marginReport(ctx, query));
  route(app, C.adminQuotaAdvisor, 'operator', (ctx, { query }) => quotaAdvice(ctx, query));
  route(app, C.adminCostsCsv, 'operator', async (ctx, { query }, _req, reply) => {
    const csv = await costsCsv(ctx, query);
    const name = `${query.report === 'margins' ? 'margins' : `costs-by-${query.by}`}-${query.from ?? 'recent'}-${query.to ?? 'now'}.csv`;
    reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'private, no-store')
      .send(csv);
    return undefined as never;
  });
};
