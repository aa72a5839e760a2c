import * as C from '@csme/contracts/packs';
import { manifestJsonSchema } from '@csme/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './packs.service.js';

export const packsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listPacks, 'signed_in', async (ctx) => ({ items: await S.listPacks(ctx) }));
  route(app, C.getPack, 'signed_in', (ctx, { params }) => S.getPack(ctx, params.packId));
  route(app, C.installPack, 'signed_in', (ctx, { params, body }) => S.installPack(ctx, params.packId, body));
  route(app, C.listInstallations, 'signed_in', async (ctx, { query }) => ({
    items: await S.listInstallations(ctx, query.includeUninstalled === 'true'),
  }));
  route(app, C.getInstallation, 'signed_in', (ctx, { params }) => S.getInstallation(ctx, params.installationId));
  route(app, C.updateInstallation, 'signed_in', (ctx, { params, body }) => S.updateInstallation(ctx, params.installationId, body));
  route(app, C.pauseInstallation, 'signed_in', (ctx, { params }) => S.pauseInstallation(ctx, params.installationId));
  route(app, C.resumeInstallation, 'signed_in', (ctx, { params }) => S.resumeInstallation(ctx, params.installationId));
  route(app, C.uninstallPack, 'signed_in', (ctx, { params }) => S.uninstallPack(ctx, params.installationId));
  const schema = manifestJsonSchema();
  route(app, C.packSchema, 'public', async () => schema);
};
