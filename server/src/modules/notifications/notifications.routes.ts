import * as I from '@csme/contracts/inbox';
import { listMailbox as listMailboxEndpoint } from '@csme/contracts/notifications';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import {
  getMyPrefs,
  listMailbox,
  listMyNotifications,
  markMyNotificationsRead,
  setMyPrefs,
  subscribePush,
  testPush,
  unsubscribePush,
} from './notifications.service.js';

export const notificationsRoutes: FastifyPluginAsync = async (app) => {
  route(app, listMailboxEndpoint, 'operator', (ctx, { query }) => listMailbox(ctx, query));
  route(app, I.listNotifications, 'signed_in', (ctx, { query }) => listMyNotifications(ctx, query));
  route(app, I.markNotificationsRead, 'signed_in', (ctx, { body }) => markMyNotificationsRead(ctx, body.ids));
  route(app, I.getNotificationPrefs, 'signed_in', (ctx) => getMyPrefs(ctx));
  route(app, I.updateNotificationPrefs, 'signed_in', (ctx, { body }) => setMyPrefs(ctx, body));
  route(app, I.getPushKey, 'signed_in', async (ctx) => ({ publicKey: ctx.deps.keys.vapid.publicKey }));
  route(app, I.subscribePush, 'signed_in', async (ctx, { body }, req) => {
    await subscribePush(ctx, body, req.headers['user-agent'] ?? null);
    return { ok: true as const };
  });
  route(app, I.unsubscribePush, 'signed_in', async (ctx, { body }) => {
    await unsubscribePush(ctx, body.endpoint);
    return { ok: true as const };
  });
  route(app, I.testPush, 'signed_in', async (ctx) => ({ sent: await testPush(ctx) }));
};
