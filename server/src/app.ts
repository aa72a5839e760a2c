import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorBody } from '@csme/contracts/errors';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import helmet from 'helmet';
import { sql } from 'kysely';
import { Gauge } from 'prom-client';
import { actorCtx, systemCtx } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { checkRouteAuth, installErrorHandler, installJsonParser } from '#core/http.js';
import { newId } from '#core/ids.js';
import type { Logger } from '#core/logger.js';
import { CSRF_HEADER, checkCsrf, resolveSessionActor, resolveTokenActor, SESSION_COOKIE } from '#modules/accounts/index.js';
import { logActivity } from '#modules/activity/index.js';
import { assertSpaceWritable } from '#modules/family/index.js';
import type { Deps } from './deps.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const DEFAULT_WEB_DIST = resolve(here, '../../web/dist');
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface BuildAppOptions {
  /** Serve the built web app from this folder (null: API only). */
  webDist?: string | null;
}

/** Builds the HTTP server (API, OpenAPI, health, metrics, the web app). Never listens: callers do (Fastify testing guide). */
export async function buildApp(deps: Deps, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    trustProxy: deps.config.http.trustProxy,
    bodyLimit: deps.config.http.bodyLimit,
    genReqId: () => newId(),
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 200 },
    // Errors the router raises before any route runs (a malformed or overlong address) keep the one error shape.
    frameworkErrors: (err, _req, reply) => {
      const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A part of the address is too long.' : 'The address is not valid.';
      void (reply as unknown as { code(n: number): { send(b: unknown): unknown } })
        .code(400)
        .send({ error: { code: 'invalid_input', message } });
    },
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installJsonParser(app);
  installErrorHandler(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'connectsoft.me API',
        version: '1.0.0',
        description: 'The API of a connectsoft.me instance. Errors share one shape: `{ error: { code, message, details? } }`.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          token: { type: 'http', scheme: 'bearer', description: 'A personal API token, on the routes that accept its scope' },
        },
      },
      security: [{ session: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(cookie);
  // Security headers, built once. @fastify/helmet 13 calls helmet(options) on every request, which parses
  // the CSP directives again each time (3-8% of the CPU of a /healthz flood in bench --profile).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
        manifestSrc: ["'self'"],
        frameSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    hsts: deps.config.http.publicUrl.startsWith('https://') ? { maxAge: 31536000 } : false,
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)));
  await app.register(multipart, { limits: { fileSize: 25 * 1024 * 1024, files: 5, fields: 20, parts: 30 } });

  app.decorateRequest('actor', null);
  app.decorateRequest('ctx', null as never);

  // Error answers are documented for every API route.
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/') || !r.schema) return;
    r.schema.response = { ...(r.schema.response as object), '4xx': ErrorBody, '5xx': ErrorBody };
  });

  // Who is calling, in which space; CSRF for cookie sessions; the route's auth rule. Before body parsing.
  app.addHook('onRequest', async (req) => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined && req.url.startsWith('/api/')) {
      // A personal API token: no cookie is read then (and so no CSRF applies); a bad token is a 401, never a fallback.
      const m = /^Bearer (\S+)$/.exec(authorization);
      req.actor = m?.[1] ? await resolveTokenActor(deps, m[1], deps.clock.now()) : null;
      if (!req.actor)
        throw new AppError('unauthenticated', 'The API token is not valid: it may be expired, revoked or mistyped.', {
          reason: 'token_invalid',
        });
    } else {
      const token = req.cookies[SESSION_COOKIE];
      if (token && req.url.startsWith('/api/')) req.actor = await resolveSessionActor(deps, token, deps.clock.now());
    }
    req.ctx = req.actor ? actorCtx(deps, req.actor, req.log as Logger) : systemCtx(deps, req.log as Logger);
    const config = req.routeOptions.config;
    if (!req.routeOptions.url) return;
    if (req.actor?.sessionId && !SAFE_METHODS.has(req.method) && !config.csrfExempt) {
      if (!checkCsrf(deps, req.actor.sessionId, req.headers[CSRF_HEADER] as string | undefined)) {
        throw new AppError('forbidden', 'The security token of this page is missing or out of date. Reload the page and try again.', {
          reason: 'csrf',
        });
      }
    }
    checkRouteAuth(req);
    // A family space whose Family plan ended is read-only until it is deleted (family module).
    await assertSpaceWritable(req.ctx, req.method, req.url);
  });

  // API answers are about a person: no shared cache or back-forward cache keeps them (routes may say otherwise).
  app.addHook('onSend', async (req, reply) => {
    if (req.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    deps.metrics.httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  // Every admin action is logged in the operator's own activity log (services add the affected space's
  // entry), before the answer leaves, so whoever reads the log next sees it.
  app.addHook('onSend', async (req, reply, payload) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (req.routeOptions.config?.auth === 'operator' && !SAFE_METHODS.has(req.method) && reply.statusCode < 400 && req.actor?.isOperator) {
      try {
        const me = await deps.db.selectFrom('account').select('personal_space_id').where('id', '=', req.actor.accountId).executeTakeFirst();
        const summary = (req.routeOptions.schema as { summary?: string } | undefined)?.summary ?? route;
        if (me?.personal_space_id)
          await logActivity(
            deps.db,
            {
              spaceId: me.personal_space_id,
              ownerAccountId: req.actor.accountId,
              visibility: 'private',
              actorKind: 'operator',
              actorAccountId: req.actor.accountId,
              kind: 'admin.action',
              summary: `Operator action: ${summary.replace(/ \(operators only\)$/, '')}`,
              data: { method: req.method, route, params: req.params ?? {}, status: reply.statusCode },
            },
            deps.clock.now(),
          );
      } catch (err) {
        req.log.error({ err: { message: (err as Error).message }, route }, 'could not log an admin action');
      }
    }
    return payload;
  });

  for (const m of deps.modules) if (m.routes) await app.register(m.routes);

  app.get('/healthz', { config: { auth: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(deps.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: { code: 'unavailable', message: 'The database is not reachable.' } });
    }
  });
  if (!deps.metrics.registry.getSingleMetric('csme_queue_depth')) {
    // Queue depth and the oldest wait, by priority, read from the job table when Prometheus scrapes.
    new Gauge({
      name: 'csme_queue_depth',
      help: 'Jobs waiting to run, by priority',
      labelNames: ['priority'] as const,
      registers: [deps.metrics.registry],
      async collect() {
        this.reset();
        const r = await sql<{
          priority: number;
          n: number;
        }>`select priority, count(*)::int as n from graphile_worker._private_jobs where locked_at is null and run_at <= now() and attempts < max_attempts group by priority`.execute(
          deps.db,
        );
        for (const row of r.rows) this.set({ priority: row.priority === 0 ? 'high' : String(row.priority) }, row.n);
      },
    });
  }
  if (!deps.metrics.registry.getSingleMetric('csme_queue_oldest_wait_seconds')) {
    // How long the oldest job that could run has waited, by priority: queue depth says how many, this says how late.
    new Gauge({
      name: 'csme_queue_oldest_wait_seconds',
      help: 'Age of the oldest runnable job not yet taken by a worker, by priority',
      labelNames: ['priority'] as const,
      registers: [deps.metrics.registry],
      async collect() {
        this.reset();
        const r = await sql<{
          priority: number;
          wait: number;
        }>`select priority, extract(epoch from (now() - min(run_at)))::float8 as wait from graphile_worker._private_jobs where locked_at is null and run_at <= now() and attempts < max_attempts group by priority`.execute(
          deps.db,
        );
        for (const row of r.rows) this.set({ priority: row.priority === 0 ? 'high' : String(row.priority) }, Math.max(0, row.wait));
      },
    });
  }
  app.get('/metrics', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/api/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());

  const webDist = opts.webDist === undefined ? (deps.config.webDist ?? DEFAULT_WEB_DIST) : opts.webDist;
  const indexHtml = webDist ? join(webDist, 'index.html') : null;
  if (webDist && indexHtml && existsSync(indexHtml)) {
    await app.register(fastifyStatic, {
      root: webDist,
      wildcard: false,
      index: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }

  app.setNotFoundHandler(async (req, reply) => {
    const wantsPage = req.method === 'GET' && !req.url.startsWith('/api/') && indexHtml && existsSync(indexHtml);
    if (wantsPage) {
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html');
    }
    return reply.code(404).send({ error: { code: 'not_found', message: `There is no ${req.method} ${req.url.split('?')[0]}.` } });
  });

  return app;
}
