import * as C from '@csme/contracts/contacts';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './contacts.service.js';

export const contactsRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listContacts, 'signed_in', (ctx, { query }) => S.listContacts(ctx, query));
  route(app, C.createContact, 'signed_in', (ctx, { body }) => S.createContact(ctx, body));
  route(app, C.getContact, 'signed_in', (ctx, { params }) => S.getContact(ctx, params.contactId));
  route(app, C.updateContact, 'signed_in', (ctx, { params, body }) => S.updateContact(ctx, params.contactId, body));
  route(app, C.deleteContact, 'signed_in', async (ctx, { params }) => {
    await S.deleteContact(ctx, params.contactId);
    return { ok: true as const };
  });
};
