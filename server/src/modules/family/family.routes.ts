import * as C from '@csme/contracts/family';
import type { FastifyPluginAsync } from 'fastify';
import { route } from '#core/http.js';
import * as S from './family.service.js';

export const familyRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.getFamily, 'signed_in', (ctx) => S.getFamily(ctx));
  route(app, C.createInvitation, 'signed_in', (ctx, { body }) => S.createInvitation(ctx, body));
  route(app, C.revokeInvitation, 'signed_in', (ctx, { params }) => S.revokeInvitation(ctx, params.invitationId));
  route(app, C.previewInvitation, 'public', (ctx, { body }) => S.previewInvitation(ctx, body.token), { csrfExempt: true });
  route(app, C.acceptInvitation, 'signed_in', (ctx, { body }) => S.acceptInvitation(ctx, body.token));
  route(
    app,
    C.declineInvitation,
    'public',
    async (ctx, { body }) => {
      await S.declineInvitation(ctx, body.token);
      return { ok: true as const };
    },
    { csrfExempt: true },
  );
  route(app, C.changeRole, 'signed_in', (ctx, { params, body }) => S.changeRole(ctx, params.accountId, body.role));
  route(app, C.removeMember, 'signed_in', (ctx, { params }) => S.removeMember(ctx, params.accountId));
  route(app, C.leaveFamily, 'signed_in', (ctx) => S.leaveFamily(ctx));
  route(app, C.transferOwnership, 'signed_in', (ctx, { body }) => S.transferOwnership(ctx, body.accountId));
  route(app, C.nudgeMember, 'signed_in', async (ctx, { params, body }) => {
    await S.nudgeMember(ctx, params.accountId, body.message);
    return { ok: true as const };
  });
  route(app, C.moveSharedToPersonal, 'signed_in', (ctx) => S.moveSharedToPersonal(ctx));
};
