import { listMailbox as listMailboxEndpoint } from '@csme/contracts/notifications';
import { route } from '#core/http.js';
import type { FastifyPluginAsync } from 'fastify';
import { listMailbox } from './notifications.service.js';

export const notificationsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listMailboxEndpoint, 'operator', (ctx, { query }) => listMailbox(ctx, query));
};
