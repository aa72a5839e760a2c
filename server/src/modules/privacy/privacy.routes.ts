import * as C from '@csme/contracts/privacy';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './privacy.service.js';

export const privacyRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.requestExport, 'signed_in', (ctx) => S.requestExport(ctx));
  route(app, C.listExports, 'signed_in', (ctx) => S.listExports(ctx));
  route(app, C.createDownloadLink, 'signed_in', (ctx, { params }) => S.createDownloadLink(ctx, params.exportId));
  route(app, C.downloadExport, 'signed_in', async (ctx, { params }, _req, reply) => {
    const d = await S.openDownload(ctx, params.token);
    reply
      .code(200)
      .header('content-type', 'application/zip')
      .header('content-length', String(d.size))
      .header('content-disposition', `attachment; filename="${d.name}"`)
      .header('cache-control', 'private, no-store');
    // Returned, not sent: route() would otherwise answer again before the stream has ended.
    return d.stream as never;
  });
  route(app, C.getDeletion, 'signed_in', (ctx) => S.getDeletionState(ctx));
  route(app, C.requestDeletion, 'signed_in', (ctx, { body }) => S.requestDeletion(ctx, body));
  route(app, C.cancelDeletion, 'signed_in', (ctx) => S.cancelDeletion(ctx));
  route(app, C.getDeletionReport, 'public', (ctx, { params }) => S.getDeletionReport(ctx, params.token));
  route(app, C.listPackPrivacy, 'signed_in', (ctx) => S.listPackPrivacy(ctx));
  route(app, C.updatePackPrivacy, 'signed_in', (ctx, { params, body }) => S.updatePackPrivacy(ctx, params.installationId, body.localOnly));
  route(app, C.revokePackScopes, 'signed_in', (ctx, { params }) => S.revokePackScopes(ctx, params.installationId));
  route(app, C.consentPackScopes, 'signed_in', (ctx, { params, body }) => S.consentPackScopes(ctx, params.installationId, body.scopes));
  route(app, C.updateAgentPrivacy, 'signed_in', (ctx, { params, body }) => S.updateAgentPrivacy(ctx, params.agentId, body));
  route(app, C.listRedactions, 'signed_in', (ctx) => S.listRedactions(ctx));
  route(app, C.createRedaction, 'signed_in', (ctx, { body }) => S.createRedaction(ctx, body));
  route(app, C.deleteRedaction, 'signed_in', (ctx, { params }) => S.deleteRedaction(ctx, params.redactionId));
};
