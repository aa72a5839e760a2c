import * as C from '@csme/contracts/marketplace';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './marketplace.service.js';

/** Bundles are base64 in JSON: the 2 MB bundle limit, a third more for base64, and room for the changelog. */
const SUBMIT_BODY_LIMIT = 3 * 1024 * 1024;
const SCREENSHOT_BODY_LIMIT = 1536 * 1024;

export const marketplaceRoutes: FastifyPluginAsync = async (app) => {
  // Browsing, buying, installing, reviewing.
  route(app, C.listListings, 'signed_in', (ctx, { query }) => S.browseListings(ctx, query));
  route(app, C.getListing, 'signed_in', (ctx, { params }) => S.getListing(ctx, params.packId));
  route(app, C.getScreenshot, 'signed_in', async (ctx, { params }, _req, reply) => {
    const s = await S.getScreenshot(ctx, params.screenshotId);
    reply
      .code(200)
      .header('content-type', s.content_type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('cache-control', 'private, max-age=3600')
      .send(s.bytes);
    return undefined as never;
  });
  route(app, C.purchaseListing, 'signed_in', (ctx, { params, body }) => S.purchaseListing(ctx, params.packId, body));
  route(app, C.installListing, 'signed_in', (ctx, { params, body }) => S.installListing(ctx, params.packId, body));
  route(app, C.listPurchases, 'signed_in', async (ctx) => ({ items: await S.listPurchases(ctx) }));
  route(app, C.cancelPurchase, 'signed_in', (ctx, { params }) => S.cancelPurchase(ctx, params.purchaseId));
  route(app, C.listReviews, 'signed_in', (ctx, { params, query }) => S.listReviews(ctx, params.packId, query.cursor));
  route(app, C.putReview, 'signed_in', (ctx, { params, body }) => S.putReview(ctx, params.packId, body));
  route(app, C.replyToReview, 'signed_in', (ctx, { params, body }) => S.replyToReview(ctx, params.reviewId, body.reply));
  route(app, C.sendUninstallFeedback, 'signed_in', async (ctx, { body }) => {
    await S.sendUninstallFeedback(ctx, body.installationId, body.reason);
    return { ok: true as const };
  });
  route(app, C.getUpdateOffer, 'signed_in', async (ctx, { params }) => ({ offer: await S.getUpdateOffer(ctx, params.installationId) }));
  route(app, C.applyUpdate, 'signed_in', (ctx, { params, body }) => S.applyUpdate(ctx, params.installationId, body));

  // The creator studio (publishing also with a personal API token: `csme pack publish`).
  route(app, C.getCreatorProfile, 'signed_in', (ctx) => S.getCreatorProfile(ctx));
  route(app, C.putCreatorProfile, 'signed_in', (ctx, { body }) => S.putCreatorProfile(ctx, body));
  route(app, C.submitPack, 'signed_in', (ctx, { body }) => S.submitPack(ctx, body), {
    bodyLimit: SUBMIT_BODY_LIMIT,
    tokenScope: 'packs:publish',
  });
  route(app, C.listSubmissions, 'signed_in', async (ctx) => ({ items: await S.listSubmissions(ctx) }), { tokenScope: 'packs:publish' });
  route(app, C.listStudioPacks, 'signed_in', async (ctx) => ({ items: await S.listStudioPacks(ctx) }), { tokenScope: 'studio:read' });
  route(app, C.updateListing, 'signed_in', (ctx, { params, body }) => S.updateListing(ctx, params.packId, body));
  route(app, C.addScreenshot, 'signed_in', (ctx, { params, body }) => S.addScreenshot(ctx, params.packId, body), {
    bodyLimit: SCREENSHOT_BODY_LIMIT,
  });
  route(app, C.deleteScreenshot, 'signed_in', (ctx, { params }) => S.deleteScreenshot(ctx, params.packId, params.screenshotId));
  route(app, C.setListingStatus, 'signed_in', (ctx, { params, body }) => S.setListingStatus(ctx, params.packId, body.status));
  route(app, C.getAnalytics, 'signed_in', (ctx, { params, query }) => S.getAnalytics(ctx, params.packId, query), {
    tokenScope: 'studio:read',
  });
  route(
    app,
    C.getAnalyticsCsv,
    'signed_in',
    async (ctx, { params, query }, _req, reply) => {
      const csv = await S.getAnalyticsCsv(ctx, params.packId, query);
      reply
        .code(200)
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${params.packId}-analytics.csv"`)
        .header('cache-control', 'private, no-store')
        .send(csv);
      return undefined as never;
    },
    { tokenScope: 'studio:read' },
  );
  route(app, C.getEarnings, 'signed_in', (ctx) => S.getEarnings(ctx), { tokenScope: 'studio:read' });

  // Operators: the review queue, abuse, refunds, payouts.
  route(app, C.adminListSubmissions, 'operator', async (ctx, { query }) => ({
    items: await S.listSubmissionsAsOperator(ctx, query.status),
  }));
  route(app, C.adminApproveSubmission, 'operator', (ctx, { params }) => S.approveSubmission(ctx, params.submissionId));
  route(app, C.adminRejectSubmission, 'operator', (ctx, { params, body }) => S.rejectSubmission(ctx, params.submissionId, body.reasons));
  route(app, C.adminHideReview, 'operator', (ctx, { params, body }) => S.hideReview(ctx, params.reviewId, body.hidden, body.reason));
  route(app, C.adminListSales, 'operator', async (ctx, { query }) => ({ items: await S.listSalesAsOperator(ctx, query.packId) }));
  route(app, C.adminRefund, 'operator', (ctx, { params, body }) => S.refund(ctx, params.entryId, body));
  route(app, C.adminRunPayouts, 'operator', async (ctx, { body }) => ({ items: await S.runPayouts(ctx, body.period) }));
  route(app, C.adminListPayouts, 'operator', async (ctx, { query }) => ({ items: await S.listPayoutsAsOperator(ctx, query.period) }));
  route(app, C.adminPayoutsCsv, 'operator', async (ctx, { query }, _req, reply) => {
    const csv = await S.payoutsCsv(ctx, query.period);
    reply
      .code(200)
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="payouts-${query.period}.csv"`)
      .header('cache-control', 'private, no-store')
      .send(csv);
    return undefined as never;
  });
  route(app, C.adminMarkPayoutPaid, 'operator', (ctx, { params, body }) => S.markPayoutPaid(ctx, params.payoutId, body.reference));
};
