import * as C from '@csme/contracts/invoices';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './invoices.service.js';

export const invoicesRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listClientInvoices, 'signed_in', (ctx, { query }) => S.listInvoices(ctx, query));
  route(app, C.createClientInvoice, 'signed_in', (ctx, { body }) => S.createInvoice(ctx, body));
  route(app, C.draftInvoiceFromText, 'signed_in', (ctx, { body }) => S.createInvoiceFromText(ctx, body.text));
  route(app, C.getClientInvoice, 'signed_in', (ctx, { params }) => S.getInvoice(ctx, params.invoiceId));
  route(app, C.updateClientInvoice, 'signed_in', (ctx, { params, body }) => S.updateInvoice(ctx, params.invoiceId, body));
  route(app, C.issueClientInvoice, 'signed_in', (ctx, { params }) => S.issueInvoice(ctx, params.invoiceId));
  route(app, C.sendClientInvoice, 'signed_in', (ctx, { params, body }) => S.sendInvoice(ctx, params.invoiceId, body));
  route(app, C.markClientInvoicePaid, 'signed_in', (ctx, { params }) => S.markInvoicePaid(ctx, params.invoiceId));
  route(app, C.deleteClientInvoice, 'signed_in', async (ctx, { params }) => {
    await S.deleteInvoice(ctx, params.invoiceId);
    return { ok: true as const };
  });
  route(app, C.getClientInvoicePdf, 'signed_in', async (ctx, { params }, _req, reply) => {
    const { pdf, filename } = await S.invoicePdf(ctx, params.invoiceId);
    reply
      .code(200)
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${filename}"`)
      .header('cache-control', 'private, no-store')
      .send(pdf);
    return undefined as never;
  });
  route(app, C.getInvoiceProfile, 'signed_in', (ctx) => S.getProfile(ctx));
  route(app, C.updateInvoiceProfile, 'signed_in', (ctx, { body }) => S.updateProfile(ctx, body));
};
