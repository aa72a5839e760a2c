import * as C from '@csme/contracts/admin';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { route } from '#core/http.js';
import { SESSION_COOKIE, sessionCookieOptions } from '#modules/accounts/index.js';
import {
  getAccount,
  getSpace,
  getSupportAccess,
  grantSupportAccess,
  impersonate,
  listAccounts,
  listSettings,
  listSpaces,
  restore,
  revokeSupportAccess,
  stopImpersonation,
  suspend,
  updateSetting,
} from './admin.service.js';

const meta = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'] ?? null });

export const adminRoutes: FastifyPluginAsync = async (app) => {
  route(app, C.listSettings, 'operator', async (ctx) => ({ settings: await listSettings(ctx) }));
  route(app, C.updateSetting, 'operator', (ctx, { params, body }) => updateSetting(ctx, params.key, body.value));

  route(app, C.adminListAccounts, 'operator', (ctx, { query }) => listAccounts(ctx, query));
  route(app, C.adminGetAccount, 'operator', (ctx, { params }) => getAccount(ctx, params.accountId));
  route(app, C.adminListSpaces, 'operator', (ctx, { query }) => listSpaces(ctx, query));
  route(app, C.adminGetSpace, 'operator', (ctx, { params }) => getSpace(ctx, params.spaceId));
  route(app, C.adminSuspendAccount, 'operator', (ctx, { params, body }) => suspend(ctx, params.accountId, body.reason));
  route(app, C.adminRestoreAccount, 'operator', (ctx, { params }) => restore(ctx, params.accountId));
  route(app, C.adminImpersonate, 'operator', async (ctx, { params }, req, reply) => {
    const s = await impersonate(ctx, params.accountId, meta(req));
    // This browser's session becomes the person's (the operator signs in again afterwards).
    reply.setCookie(SESSION_COOKIE, s.token, sessionCookieOptions(ctx.deps, req, s.expiresAt));
    return { expiresAt: s.expiresAt.toISOString() };
  });

  route(app, C.getSupportAccess, 'signed_in', (ctx) => getSupportAccess(ctx));
  route(app, C.grantSupportAccess, 'signed_in', (ctx, { body }) => grantSupportAccess(ctx, body.hours));
  route(app, C.revokeSupportAccess, 'signed_in', (ctx) => revokeSupportAccess(ctx));
  route(app, C.stopImpersonation, 'signed_in', async (ctx, _input, req, reply) => {
    await stopImpersonation(ctx);
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(ctx.deps, req));
    return { ok: true as const };
  });
};
