import * as C from '@csme/contracts/admin';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { listSettings, updateSetting } from './admin.service.js';

export const adminRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listSettings, 'operator', async (ctx) => ({ settings: await listSettings(ctx) }));
  route(app, C.updateSetting, 'operator', (ctx, { params, body }) => updateSetting(ctx, params.key, body.value));
};
