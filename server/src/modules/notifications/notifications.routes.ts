import * as I from '@csme/contracts/inbox';
import { listMailbox as listMailboxEndpoint } from '@csme/contracts/notifications';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import { getMyPrefs, listMailbox, listMyNotifications, markMyNotificationsRead, setMyPrefs } from './notifications.service.js';

export const notificationsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listMailboxEndpoint, 'operator', (ctx, { query }) => listMailbox(ctx, query));
  route(app, I.listNotifications, 'signed_in', (ctx, { query }) => listMyNotifications(ctx, query));
  route(app, I.markNotificationsRead, 'signed_in', (ctx, { body }) => markMyNotificationsRead(ctx, body.ids));
  route(app, I.getNotificationPrefs, 'signed_in', (ctx) => getMyPrefs(ctx));
  route(app, I.updateNotificationPrefs, 'signed_in', (ctx, { body }) => setMyPrefs(ctx, body));
};
