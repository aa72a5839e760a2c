import { listMailbox as listMailboxEndpoint } from '@csme/contracts/notifications';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { listMailbox } from './notifications.service.js';

export const notificationsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listMailboxEndpoint, 'operator', (ctx, { query }) => listMailbox(ctx, query));
};
