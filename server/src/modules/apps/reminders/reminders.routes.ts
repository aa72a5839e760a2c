import * as C from '@csme/contracts/reminders';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './reminders.service.js';

export const remindersRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listReminders, 'signed_in', (ctx, { query }) => S.listReminders(ctx, query));
  route(app, C.createReminder, 'signed_in', (ctx, { body }) => S.createReminder(ctx, body));
  route(app, C.updateReminder, 'signed_in', (ctx, { params, body }) => S.updateReminder(ctx, params.reminderId, body));
  route(app, C.deleteReminder, 'signed_in', async (ctx, { params }) => {
    await S.deleteReminder(ctx, params.reminderId);
    return { ok: true as const };
  });
};
