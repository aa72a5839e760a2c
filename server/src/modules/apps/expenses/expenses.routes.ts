import * as C from '@csme/contracts/expenses';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './expenses.service.js';

export const expensesRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listExpenses, 'signed_in', (ctx, { query }) => S.listExpenses(ctx, query));
  route(app, C.exportExpensesCsv, 'signed_in', async (ctx, { query }, _req, reply) => {
    const { csv, filename } = await S.exportCsv(ctx, query);
    reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'private, no-store')
      .send(csv);
    return undefined as never;
  });
  route(app, C.createExpense, 'signed_in', (ctx, { body }) => S.createExpense(ctx, body));
  route(app, C.expenseFromReceipt, 'signed_in', (ctx, { body }) => S.expenseFromReceipt(ctx, body));
  route(app, C.updateExpense, 'signed_in', (ctx, { params, body }) => S.updateExpense(ctx, params.expenseId, body));
  route(app, C.deleteExpense, 'signed_in', async (ctx, { params }) => {
    await S.deleteExpense(ctx, params.expenseId);
    return { ok: true as const };
  });
};
