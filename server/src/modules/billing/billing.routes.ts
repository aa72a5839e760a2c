import * as C from '@csme/contracts/billing';
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '#core/errors.js';
import { route } from '#core/http.js';
import {
  checkout,
  createVersionAsOperator,
  getBillingOverview,
  getSpaceInvoice,
  getSpaceInvoicePdf,
  listInvoicesAsOperator,
  listSpaceInvoices,
  listVersionsAsOperator,
  migrateSubscribers,
  openBillingPortal,
  payInvoice,
  quote,
  receiveStripeEvent,
  syncBilling,
  voidInvoice,
} from './billing.service.js';

const WEBHOOK_BODY_LIMIT = 512 * 1024;

export const billingRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getBilling, 'signed_in', (ctx) => getBillingOverview(ctx));
  route(app, C.quoteBilling, 'signed_in', (ctx, { body }) => quote(ctx, body));
  route(app, C.checkout, 'signed_in', (ctx, { body }) => checkout(ctx, body));
  route(app, C.listInvoices, 'signed_in', (ctx, { query }) => listSpaceInvoices(ctx, query));
  route(app, C.getInvoice, 'signed_in', (ctx, { params }) => getSpaceInvoice(ctx, params.invoiceId));
  route(app, C.getInvoicePdf, 'signed_in', async (ctx, { params, query }, _req, reply) => {
    const { pdf, filename } = await getSpaceInvoicePdf(ctx, params.invoiceId, query.document);
    reply
      .code(200)
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'private, no-store')
      .send(pdf);
    return undefined as never;
  });
  route(app, C.openPortal, 'signed_in', (ctx) => openBillingPortal(ctx));
  route(app, C.syncBilling, 'signed_in', (ctx, { body }) => syncBilling(ctx, body.sessionId));

  route(app, C.adminListInvoices, 'operator', (ctx, { query }) => listInvoicesAsOperator(ctx, query));
  route(app, C.adminPayInvoice, 'operator', (ctx, { params }) => payInvoice(ctx, params.invoiceId, ctx.actor.accountId));
  route(app, C.adminVoidInvoice, 'operator', (ctx, { params }) => voidInvoice(ctx, params.invoiceId, ctx.actor.accountId));
  route(app, C.adminListPlanVersions, 'operator', async (ctx) => ({ versions: await listVersionsAsOperator(ctx) }));
  route(app, C.adminCreatePlanVersion, 'operator', (ctx, { params, body }) => createVersionAsOperator(ctx, params.planId, body));
  route(app, C.adminMigratePlan, 'operator', (ctx, { params, body }) => migrateSubscribers(ctx, params.planId, body.noticeDays));

  // Stripe signs the exact bytes it sent: this route alone keeps the body raw (its own parser, in its
  // own encapsulated context), and is authenticated by the signature, not by a session.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));
    route(
      raw,
      C.stripeWebhook,
      'public',
      async (ctx, _input, req) => {
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new AppError('invalid_input', 'The webhook body is empty.');
        const sig = req.headers['stripe-signature'];
        return receiveStripeEvent(ctx, req.body, typeof sig === 'string' ? sig : undefined);
      },
      { csrfExempt: true, bodyLimit: WEBHOOK_BODY_LIMIT },
    );
  });
};
