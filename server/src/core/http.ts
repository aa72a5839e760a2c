import type { ErrorBody, InputIssue } from '@csme/contracts/errors';
import type { Endpoint } from '@csme/contracts/http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import secureJson from 'secure-json-parse';
import type { z } from 'zod';
import type { Actor, ActorCtx, Ctx } from './ctx.js';
import { AppError, ERROR_STATUS, type ErrorCode, isDatabaseUnavailable } from './errors.js';

/** Who may call a route: anyone, a signed-in person (in their active space), or an operator. */
export type RouteAuth = 'public' | 'signed_in' | 'operator';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** Skip the CSRF check (only for routes authenticated by something other than the session cookie). */
    csrfExempt?: boolean;
    /** The personal API token scope that also lets a bearer token call this route (no token otherwise). */
    tokenScope?: string;
  }
  interface FastifyRequest {
    actor: Actor | null;
    ctx: Ctx;
  }
}

type Out<S> = S extends z.ZodType ? z.output<S> : never;
type Input<E> = E extends Endpoint<infer P, infer Q, infer B, any> ? { params: Out<P>; query: Out<Q>; body: Out<B> } : never;
// The serializer validates and strips the answer with the response schema, so a handler returns the schema's input form.
type Reply<E> = E extends Endpoint<any, any, any, infer R> ? z.input<R> : never;
type Handler<E, C> = (ctx: C, input: Input<E>, req: FastifyRequest, reply: FastifyReply) => Promise<Reply<E>>;

export interface RouteOptions {
  bodyLimit?: number;
  csrfExempt?: boolean;
  /** Also accept `Authorization: Bearer` personal API tokens that hold this scope. */
  tokenScope?: string;
  /** Extra OpenAPI-only hints (e.g. a multipart body) */
  hide?: boolean;
}

/** Registers a contracts endpoint: its schemas validate input and output, and it appears in the OpenAPI document. */
export function route<E extends Endpoint, A extends RouteAuth>(
  app: FastifyInstance,
  ep: E,
  auth: A,
  handler: Handler<NoInfer<E>, A extends 'public' ? Ctx : ActorCtx>,
  opts: RouteOptions = {},
): void {
  const status = ep.status ?? 200;
  app.route({
    method: ep.method,
    url: ep.path,
    bodyLimit: opts.bodyLimit,
    config: { auth, csrfExempt: opts.csrfExempt, tokenScope: opts.tokenScope },
    schema: {
      summary: ep.summary,
      tags: ep.tags,
      ...(opts.hide ? { hide: true } : {}),
      ...(ep.params ? { params: ep.params } : {}),
      ...(ep.query ? { querystring: ep.query } : {}),
      ...(ep.body ? { body: ep.body } : {}),
      response: { [status]: ep.response },
    },
    handler: async (req, reply) => {
      const result = await handler(req.ctx as ActorCtx, { params: req.params, query: req.query, body: req.body } as Input<E>, req, reply);
      if (reply.sent) return reply;
      reply.code(status);
      return status === 204 ? reply.send() : result;
    },
  });
}

/** Rejects requests whose route needs a signed-in person or an operator. Runs before validation. */
export function checkRouteAuth(req: FastifyRequest): void {
  const auth = req.routeOptions.config.auth ?? (req.routeOptions.url?.startsWith('/api/') ? 'signed_in' : 'public');
  if (auth === 'public') return;
  if (!req.actor) throw new AppError('unauthenticated', 'Sign in to continue.');
  const scopes = req.actor.tokenScopes;
  if (scopes) {
    const needed = req.routeOptions.config.tokenScope;
    if (!needed || !scopes.includes(needed))
      throw new AppError(
        'forbidden',
        needed ? `This API token lacks the scope ${needed}.` : 'API tokens cannot be used here; sign in instead.',
        {
          reason: 'token_scope',
          ...(needed ? { scope: needed } : {}),
        },
      );
  }
  if (auth === 'operator' && !req.actor.isOperator) {
    // Every refused attempt at an operator route is logged (who, which route), and counted.
    req.log.warn(
      {
        accountId: req.actor.accountId,
        impersonatorAccountId: req.actor.impersonatorAccountId ?? null,
        method: req.method,
        route: req.routeOptions.url,
      },
      'operator route refused to a non-operator',
    );
    req.ctx?.deps.metrics.operatorDenied.inc({ route: req.routeOptions.url ?? 'unmatched' });
    throw new AppError('forbidden', 'Only operators of this instance can do this.');
  }
}

const MAX_JSON_DEPTH = 64;

/** Walks a parsed JSON value: refuses NUL characters (PostgreSQL cannot store them) and very deep nesting. */
function checkJsonValue(value: unknown): string | null {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_JSON_DEPTH) return `JSON is nested deeper than ${MAX_JSON_DEPTH} levels`;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return 'text must not contain NUL characters';
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push([x, depth + 1]);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return 'keys must not contain NUL characters';
        stack.push([x, depth + 1]);
      }
    }
  }
  return null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON body parser that refuses invalid UTF-8 instead of silently replacing bytes, and prototype pollution keys. */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/(.+\+)?json$/, { parseAs: 'buffer' }, (_req, body, done) => {
    const buf = body as Buffer;
    if (buf.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      return done(new AppError('invalid_input', 'The request body is not valid UTF-8.'), undefined);
    }
    let value: unknown;
    try {
      value = secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
    } catch (e) {
      const proto = e instanceof SyntaxError && /prototype|constructor/i.test(e.message);
      return done(
        new AppError(
          'invalid_input',
          proto ? 'The request body uses a forbidden key (__proto__ or constructor.prototype).' : 'The request body is not valid JSON.',
        ),
        undefined,
      );
    }
    const problem = checkJsonValue(value);
    if (problem) return done(new AppError('invalid_input', `The request body is not acceptable: ${problem}.`), undefined);
    done(null, value);
  });
}

function issuesFromValidation(err: FastifyError): InputIssue[] {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    return err.validation.map((v) => {
      const path = (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
      return { path: path ? `${where}.${path}` : where, message: v.message ?? 'is not valid' };
    });
  }
  return (err.validation ?? []).map((v) => ({ path: String(v.instancePath ?? ''), message: v.message ?? 'is not valid' }));
}

function body(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

const FASTIFY_CODES: Record<string, [ErrorCode, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is too large.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'This content type is not accepted here; send JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_input', 'The request body is empty; send a JSON object.'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_input', 'The request body is not valid JSON.'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['invalid_input', 'The Content-Length header does not match the body.'],
  FST_ERR_CTP_INVALID_TYPE: ['invalid_input', 'The Content-Type header is not valid.'],
  FST_ERR_BAD_URL: ['invalid_input', 'The URL is not valid.'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: ['unsupported_media_type', 'Send the file as multipart/form-data.'],
  FST_REQ_FILE_TOO_LARGE: ['payload_too_large', 'The file is too large.'],
  FST_FILES_LIMIT: ['payload_too_large', 'Too many files in one request.'],
  FST_PARTS_LIMIT: ['payload_too_large', 'Too many parts in one request.'],
  FST_FIELDS_LIMIT: ['payload_too_large', 'Too many fields in one request.'],
  FST_PROTO_VIOLATION: ['invalid_input', 'The request uses a forbidden field name.'],
  FST_ERR_VALIDATION: ['invalid_input', 'The request is not valid.'],
};

/** The one error handler: every failure leaves as `{ error: { code, message, details? } }`; only 5xx are logged as errors. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      const retryAfter = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      if (typeof retryAfter === 'number' && retryAfter > 0) reply.header('retry-after', String(Math.ceil(retryAfter)));
      return reply.code(err.status).send(body(err.code, err.message, err.details));
    }
    if (err.validation) {
      const issues = issuesFromValidation(err);
      const first = issues[0];
      const message = first ? `${first.path}: ${first.message}` : 'The request is not valid.';
      return reply.code(400).send(body('invalid_input', message, { issues }));
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply
        .code(500)
        .send(body('internal', 'Something went wrong on our side. Try again; if it keeps happening, tell the operator.'));
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.code(ERROR_STATUS[known[0]]).send(body(known[0], known[1]));
    if (err.statusCode === 429) return reply.code(429).send(body('rate_limited', 'Too many requests; wait a moment and try again.'));
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: { message: err.message, code: err.code } }, 'database unavailable');
      reply.header('retry-after', '5');
      return reply.code(503).send(body('unavailable', 'The service is briefly unavailable; try again in a few seconds.'));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const code = (Object.entries(ERROR_STATUS).find(([, s]) => s === err.statusCode)?.[0] ?? 'invalid_input') as ErrorCode;
      return reply.code(ERROR_STATUS[code]).send(body(code, code === 'invalid_input' ? 'The request is not valid.' : err.message));
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(body('internal', 'Something went wrong on our side. Try again; if it keeps happening, tell the operator.'));
  });
}
