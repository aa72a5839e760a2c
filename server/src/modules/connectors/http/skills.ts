// Outgoing HTTP: only to addresses the person listed in an "http" connector, through the egress guard
// (which still refuses internal addresses, on every redirect hop). `http.get` reads; `http.request`
// (any method) acts, so it is proposed for approval like any action that reaches outside.
import { z } from 'zod';
import { parseHttpUrl } from '#core/egress.js';
import { AppError } from '#core/errors.js';
import { defineSkill, type SkillContext } from '#core/skill.js';
import type { ConnectorRow } from '../connectors.repository.js';
import { connectorForSkill, logRead, readCredentials } from '../connectors.service.js';

const MAX_BODY = 1024 * 1024;

/** Is `url` under one of the allowed prefixes (same scheme, host, port, and path prefix)? */
function urlAllowed(allow: readonly string[], url: URL): boolean {
  return allow.some((a) => {
    const p = new URL(a);
    if (p.origin !== url.origin) return false;
    const base = p.pathname.endsWith('/') ? p.pathname : `${p.pathname}/`;
    return url.pathname === p.pathname || url.pathname.startsWith(base) || p.pathname === '/';
  });
}

async function send(
  sctx: SkillContext,
  conn: ConnectorRow,
  o: { method: string; url: string; headers?: Record<string, string>; body?: string },
) {
  const url = parseHttpUrl(o.url);
  const cfg = conn.config as { allow: string[]; headerName?: string | null };
  if (!urlAllowed(cfg.allow, url))
    throw new AppError('forbidden', `${url.origin}${url.pathname} is not among the addresses allowed for "${conn.name}".`, {
      reason: 'not_allowed',
    });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.headers ?? {})) if (!/^(host|authorization|cookie|proxy-.*)$/i.test(k)) headers[k] = v;
  if (cfg.headerName) {
    const creds = await readCredentials(sctx.ctx, conn);
    if (creds.headerValue) headers[cfg.headerName] = creds.headerValue;
  }
  const r = await sctx.ctx.deps.egress.request(url.toString(), {
    method: o.method,
    headers,
    body: o.body,
    maxBytes: MAX_BODY,
    timeoutMs: 20_000,
    maxRedirects: 3,
    // The stored header is bound to the allowed host: a redirect elsewhere is refused rather than sent it.
    credentialsHost: cfg.headerName ? url.hostname : undefined,
    signal: sctx.signal,
  });
  const type = r.headers['content-type'] ?? '';
  const text = /json|text|xml|html|csv/.test(type) || !type ? r.body.toString('utf8') : '';
  let json: unknown = null;
  if (/json/.test(type)) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: r.status, contentType: type, text: text.slice(0, 200_000), json, url: r.url };
}

const Out = z.object({ status: z.number().int(), contentType: z.string(), text: z.string(), json: z.unknown(), url: z.string() });
const Headers = z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(2000)).optional();

export const httpGet = defineSkill({
  id: 'http.get',
  description: 'Fetches an address the person allowed (GET), through the egress guard',
  kind: 'read',
  scopes: ['http:request'],
  costClass: 'cheap',
  pure: false,
  input: z.strictObject({ connectorId: z.uuid().optional(), url: z.string().max(2000), headers: Headers }),
  output: Out,
  async run(sctx, input) {
    const conn = await connectorForSkill(sctx, ['http'], input.connectorId);
    const r = await send(sctx, conn, { method: 'GET', url: input.url, headers: input.headers });
    await logRead(sctx, conn, 'http.get', `Fetched ${new URL(r.url).host}${new URL(r.url).pathname.slice(0, 100)} (${r.status})`, {
      status: r.status,
    });
    return r;
  },
});

export const httpRequest = defineSkill({
  id: 'http.request',
  description: 'Sends a request (any method) to an address the person allowed, through the egress guard',
  kind: 'act',
  actionType: 'http.request',
  external: true,
  scopes: ['http:request'],
  costClass: 'cheap',
  pure: false,
  input: z.strictObject({
    connectorId: z.uuid().optional(),
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
    url: z.string().max(2000),
    headers: Headers,
    body: z.string().max(MAX_BODY).optional(),
  }),
  output: Out,
  async run(sctx, input) {
    const conn = await connectorForSkill(sctx, ['http'], input.connectorId);
    const headers = { ...(input.headers ?? {}), ...(sctx.idempotencyKey ? { 'Idempotency-Key': sctx.idempotencyKey } : {}) };
    return send(sctx, conn, { method: input.method, url: input.url, headers, body: input.body });
  },
  preview: (input, locale) =>
    locale === 'he'
      ? { title: `בקשת ${input.method} אל ${input.url}`, summary: (input.body ?? '').slice(0, 300) }
      : { title: `${input.method} request to ${input.url}`, summary: (input.body ?? '').slice(0, 300) },
});
