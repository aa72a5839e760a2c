import * as C from '@csme/contracts/calendar';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './calendar.service.js';

export const calendarRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getAgenda, 'signed_in', (ctx, { query }) => S.getAgenda(ctx, query));
  route(app, C.createEvent, 'signed_in', (ctx, { body }) => S.createEvent(ctx, body));
  route(app, C.getEvent, 'signed_in', (ctx, { params }) => S.getEvent(ctx, params.eventId));
  route(app, C.updateEvent, 'signed_in', (ctx, { params, body }) => S.updateEvent(ctx, params.eventId, body));
  route(app, C.deleteEvent, 'signed_in', async (ctx, { params }) => {
    await S.deleteEvent(ctx, params.eventId);
    return { ok: true as const };
  });
};
