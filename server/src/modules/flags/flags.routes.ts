import * as C from '@csme/contracts/admin';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { getFlags } from './flags.service.js';

export const flagsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getFeatures, 'signed_in', (ctx) => getFlags(ctx));
};
