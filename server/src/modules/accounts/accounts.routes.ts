import * as C from '@csme/contracts/accounts';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { route } from '#core/http.js';
import type { Deps } from '../../deps.js';
import { SESSION_COOKIE } from './accounts.policy.js';
import * as S from './accounts.service.js';

const meta = (req: FastifyRequest): S.RequestMeta => ({ ip: req.ip, userAgent: req.headers['user-agent'] ?? null });

export function sessionCookieOptions(deps: Deps, req: FastifyRequest, expires?: Date) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: req.protocol === 'https' || deps.config.http.publicUrl.startsWith('https://'),
    ...(expires ? { expires } : {}),
  };
}

function setSession(deps: Deps, req: FastifyRequest, reply: FastifyReply, s: S.NewSession) {
  reply.setCookie(SESSION_COOKIE, s.token, sessionCookieOptions(deps, req, s.expiresAt));
  return s.view;
}

export const accountsRoutes: FastifyPluginAsync = async (app) => {
  route(
    app,
    C.signUp,
    'public',
    async (ctx, { body }, req, reply) => {
      const r = await S.signUp(ctx, body, meta(req));
      return r.status === 'signed_in' ? { status: 'signed_in' as const, session: setSession(ctx.deps, req, reply, r.session) } : r;
    },
    { csrfExempt: true },
  );
  route(
    app,
    C.signIn,
    'public',
    async (ctx, { body }, req, reply) => {
      const r = await S.signIn(ctx, body, meta(req));
      return r.status === 'signed_in' ? { status: 'signed_in' as const, session: setSession(ctx.deps, req, reply, r.session) } : r;
    },
    { csrfExempt: true },
  );
  route(app, C.signOut, 'signed_in', async (ctx, _i, req, reply) => {
    await S.signOut(ctx);
    reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(ctx.deps, req));
    return { ok: true as const };
  });
  route(app, C.getSession, 'signed_in', (ctx) => S.getSessionView(ctx));
  route(
    app,
    C.verifyEmail,
    'public',
    async (ctx, { body }, req, reply) => {
      const r = await S.verifyEmail(ctx, body.token, meta(req));
      return { status: 'signed_in' as const, session: setSession(ctx.deps, req, reply, r.session) };
    },
    { csrfExempt: true },
  );
  route(
    app,
    C.requestPasswordReset,
    'public',
    async (ctx, { body }, req) => {
      await S.requestPasswordReset(ctx, body.email, meta(req));
      return { ok: true as const };
    },
    { csrfExempt: true },
  );
  route(
    app,
    C.confirmPasswordReset,
    'public',
    async (ctx, { body }) => {
      await S.confirmPasswordReset(ctx, body.token, body.password);
      return { ok: true as const };
    },
    { csrfExempt: true },
  );
  route(app, C.startTotpSetup, 'signed_in', (ctx) => S.startTotpSetup(ctx));
  route(app, C.enableTotp, 'signed_in', async (ctx, { body }) => {
    await S.enableTotp(ctx, body.code);
    return { ok: true as const };
  });
  route(app, C.disableTotp, 'signed_in', async (ctx, { body }) => {
    await S.disableTotp(ctx, body.password, body.code);
    return { ok: true as const };
  });
  route(app, C.updateAccount, 'signed_in', (ctx, { body }) => S.updateAccount(ctx, body));
  route(app, C.changePassword, 'signed_in', async (ctx, { body }) => {
    await S.changePassword(ctx, body);
    return { ok: true as const };
  });
  route(app, C.switchSpace, 'signed_in', (ctx, { body }) => S.switchSpace(ctx, body.spaceId));
  route(app, C.listApiTokens, 'signed_in', async (ctx) => ({ items: await S.listApiTokens(ctx) }));
  route(app, C.createApiToken, 'signed_in', (ctx, { body }) => S.createApiToken(ctx, body));
  route(app, C.revokeApiToken, 'signed_in', (ctx, { params }) => S.revokeApiToken(ctx, params.tokenId));
};
