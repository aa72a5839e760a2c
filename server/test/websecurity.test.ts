import { signIn, signUp } from '@csme/contracts/accounts';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, DEFAULT_WEB_DIST } from '../src/app.js';
import { buildDeps } from '../src/deps.js';
import { recordFigures } from './figures.js';
import { createTestEnv, signedUpClient, TestClient, type TestEnv, uniqueEmail } from './harness.js';

/**
 * Web security: security headers and the CSP on every kind of response, the session cookie's flags,
 * the CSRF matrix on every state-changing route, answers that do not tell known from unknown emails,
 * the password hash's parameters, and sign-in throttling that outlives a restart.
 */

interface Op {
  method: string;
  path: string;
  hasBody: boolean;
}

let env: TestEnv;
let app: FastifyInstance;
let ops: Op[] = [];

/** State-changing routes that do not need the CSRF token: each one is public and takes no session's authority. */
const CSRF_EXEMPT = new Set([
  'POST /api/v1/auth/sign-up',
  'POST /api/v1/auth/sign-in',
  'POST /api/v1/auth/verify-email',
  'POST /api/v1/auth/password-reset',
  'POST /api/v1/auth/password-reset/confirm',
  'POST /api/v1/billing/stripe/webhook',
  // An invitation link's own token is the authority (whoever holds the link may read or decline it).
  'POST /api/v1/family/invitations/preview',
  'POST /api/v1/family/invitations/decline',
]);

const urlFor = (path: string) => path.replace(/\{([^}]+)\}/g, '019ac000-0000-7000-8000-00000000beef');

beforeAll(async () => {
  env = await createTestEnv();
  app = await env.app();
  const doc = (await app.inject({ url: '/api/openapi.json' })).json() as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: !!op.requestBody })),
  );
});
afterAll(() => env.close());

function expectSecurityHeaders(h: Record<string, unknown>, what: string) {
  const csp = String(h['content-security-policy'] ?? '');
  expect(csp, `${what}: CSP`).toContain("default-src 'self'");
  expect(csp, `${what}: CSP scripts`).toMatch(/script-src 'self'(;|$)/);
  expect(csp, `${what}: CSP objects`).toContain("object-src 'none'");
  expect(csp, `${what}: CSP frames`).toContain("frame-ancestors 'none'");
  expect(csp, `${what}: CSP base`).toContain("base-uri 'self'");
  expect(csp, `${what}: no unsafe script source`).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
  expect(h['x-content-type-options'], `${what}: nosniff`).toBe('nosniff');
  expect(h['x-frame-options'], `${what}: frame options`).toMatch(/^(DENY|SAMEORIGIN)$/);
  expect(h['referrer-policy'], `${what}: referrer policy`).toBe('no-referrer');
  expect(h['cross-origin-opener-policy'], `${what}: COOP`).toBe('same-origin');
  expect(h['cross-origin-resource-policy'], `${what}: CORP`).toBe('same-origin');
  expect(h['x-powered-by'], `${what}: x-powered-by`).toBeUndefined();
  expect(h['access-control-allow-origin'], `${what}: CORS`).toBeUndefined();
}

describe('security headers', () => {
  it('are on every API answer (success and error), the web app, its assets, health and unknown addresses', async () => {
    const { client } = await signedUpClient(app);
    let checked = 0;
    for (const op of ops.filter((o) => o.method === 'GET')) {
      const res = await app.inject({ method: 'GET', url: urlFor(op.path), headers: { cookie: client.cookie! } });
      expectSecurityHeaders(res.headers, `GET ${op.path} (${res.statusCode})`);
      // Answers about a person are never kept by a shared cache or the browser's back-forward cache.
      if (op.path.startsWith('/api/') && res.statusCode < 300)
        expect(String(res.headers['cache-control']), `GET ${op.path}: cache-control`).toMatch(/no-store/);
      checked++;
    }
    for (const op of ops.filter((o) => o.method !== 'GET')) {
      const res = await app.inject({ method: op.method as 'POST', url: urlFor(op.path) });
      expectSecurityHeaders(res.headers, `${op.method} ${op.path} (${res.statusCode})`);
      checked++;
    }
    // The web app as `csme start` serves it (the test app serves the API only).
    const web = await buildApp(env.deps, { webDist: DEFAULT_WEB_DIST });
    const index = await web.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expectSecurityHeaders(index.headers, 'the web app');
    const deepLink = await web.inject({ url: '/packs/some-pack' });
    expectSecurityHeaders(deepLink.headers, 'a deep link');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(script, 'the web app loads a script from /assets').toBeTruthy();
    const asset = await web.inject({ url: script! });
    expect(asset.statusCode).toBe(200);
    expectSecurityHeaders(asset.headers, 'an asset');
    for (const url of ['/healthz', '/readyz', '/api/v1/does-not-exist', '/api/openapi.json']) {
      const res = await app.inject({ url });
      expectSecurityHeaders(res.headers, url);
    }
    // No inline script in the page: the CSP would block it, so none may be needed.
    expect(index.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    await web.close();
    expect(checked).toBeGreaterThan(40);
  });

  it('adds HSTS and the Secure cookie flag when the instance is served over HTTPS', async () => {
    const https = await createTestEnv({ env: { CSME_PUBLIC_URL: 'https://agents.example.test' } });
    try {
      const a = await https.app();
      const res = await a.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-up',
        payload: { email: uniqueEmail(), password: 'correct horse battery', displayName: 'Hana' },
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await https.close();
    }
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, for the whole site, with an expiry; signing out clears it and the session', async () => {
    const email = uniqueEmail();
    const client = new TestClient(app);
    await client.ok(signUp, { body: { email, password: 'correct horse battery', displayName: 'Cora' } });
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { email, password: 'correct horse battery' } });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^csme_session=[A-Za-z0-9_-]{32,};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Expires=/);
    expect(cookie).not.toMatch(/; Domain=/);
    // Over plain HTTP (this test instance) the cookie cannot be Secure; the HTTPS case is above.
    const token = /^csme_session=([^;]+)/.exec(cookie)![1]!;
    const session = res.json().session as { csrfToken: string };
    const out = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-out',
      headers: { cookie: `csme_session=${token}`, 'x-csrf-token': session.csrfToken },
    });
    expect(out.statusCode).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^csme_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await app.inject({ url: '/api/v1/auth/session', headers: { cookie: `csme_session=${token}` } });
    expect(after.statusCode).toBe(401);
    // The database keeps a hash of the token, never the token.
    const rows = await sql<{ n: number }>`select count(*)::int as n from session where token_hash::text like ${`%${token}%`}`.execute(
      env.deps.db,
    );
    expect(rows.rows[0]!.n).toBe(0);
  });
});

describe('the CSRF matrix', () => {
  it('refuses every state-changing route without the token, with a forged one, and with another session’s, and changes nothing', async () => {
    const victim = await signedUpClient(app, { name: 'Vic' });
    const attacker = await signedUpClient(app, { name: 'Ada' });
    // A second session of the same person: its token is not this session's either.
    const second = new TestClient(app);
    await second.ok(signIn, { body: { email: victim.email, password: 'correct horse battery' } });
    const before = await counts();
    const exempt: string[] = [];
    let tried = 0;
    for (const op of ops.filter((o) => o.method !== 'GET' && o.method !== 'HEAD')) {
      const key = `${op.method} ${op.path}`;
      for (const [name, token] of [
        ['no token', undefined],
        ['a forged token', 'forged-token-forged-token-forged-token'],
        ["another person's token", attacker.client.csrf!],
        ["the same person's other session's token", second.csrf!],
      ] as const) {
        tried++;
        const res = await app.inject({
          method: op.method as 'POST',
          url: urlFor(op.path),
          headers: { cookie: victim.client.cookie!, ...(token ? { 'x-csrf-token': token } : {}), 'content-type': 'application/json' },
          payload: op.hasBody ? '{}' : undefined,
        });
        const reason = res.statusCode === 403 ? (res.json().error?.details?.reason as string | undefined) : undefined;
        if (reason !== 'csrf') {
          if (!exempt.includes(key)) exempt.push(key);
          expect(CSRF_EXEMPT.has(key) || op.path.startsWith('/webhooks/'), `${key} with ${name} answered ${res.statusCode}`).toBe(true);
        }
      }
    }
    expect(await counts()).toEqual(before);
    expect(tried).toBeGreaterThan(100);
    recordFigures('CSRF matrix', { 'forged requests': tried, routes: tried / 4, 'public routes exempt': exempt.length }, 0);
    console.log(`CSRF matrix: ${tried} forged requests over ${tried / 4} routes; exempt by design: ${exempt.join(', ')}`);
  });

  it('refuses what an HTML form on another site can send: form-encoded and text/plain bodies', async () => {
    const victim = await signedUpClient(app, { name: 'Form' });
    for (const [type, payload] of [
      ['application/x-www-form-urlencoded', 'email=a%40b.co&password=x'],
      ['text/plain', '{"email":"a@b.co","password":"x"}'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@b.co\r\n--x--\r\n'],
    ] as const) {
      // A form can sign a browser into someone else's account (login CSRF) only if sign-in takes a form.
      const signInRes = await app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', headers: { 'content-type': type }, payload });
      expect([400, 415], `sign-in with ${type}`).toContain(signInRes.statusCode);
      expect(signInRes.headers['set-cookie']).toBeUndefined();
      const change = await app.inject({
        method: 'PATCH',
        url: '/api/v1/account',
        headers: { cookie: victim.client.cookie!, 'content-type': type },
        payload,
      });
      expect([403, 415], `account change with ${type}`).toContain(change.statusCode);
    }
  });

  it('answers a cross-origin preflight without allowing the origin', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/v1/account',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'x-csrf-token',
      },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

async function counts() {
  const r = await sql<{ t: string; n: number }>`
    select 'account' as t, count(*)::int as n from account union all select 'space', count(*)::int from space
    union all select 'task', count(*)::int from task union all select 'connector', count(*)::int from connector
    union all select 'pack_installation', count(*)::int from pack_installation union all select 'agent_run', count(*)::int from agent_run
    union all select 'suggestion', count(*)::int from suggestion union all select 'membership', count(*)::int from membership`.execute(
    env.deps.db,
  );
  return Object.fromEntries(r.rows.map((x) => [x.t, x.n]));
}

describe('enumeration', () => {
  it('answers sign-in the same for a wrong password and an unknown email, and password reset the same for both', async () => {
    const { email } = await signedUpClient(app, { name: 'Known' });
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { email, password: 'not the password' } });
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: uniqueEmail('unknown'), password: 'not the password' },
    });
    expect(wrong.statusCode).toBe(unknown.statusCode);
    expect(wrong.body).toBe(unknown.body);
    const r1 = await app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email } });
    const r2 = await app.inject({ method: 'POST', url: '/api/v1/auth/password-reset', payload: { email: uniqueEmail('unknown') } });
    expect([r1.statusCode, r1.body]).toEqual([r2.statusCode, r2.body]);
  });
});

describe('passwords', () => {
  it('are stored as argon2id with at least OWASP’s minimum cost (19 MiB, 2 passes)', async () => {
    const { accountId } = await signedUpClient(app, { name: 'Hash' });
    const row = await env.deps.db.selectFrom('account').select('password_hash').where('id', '=', accountId).executeTakeFirstOrThrow();
    const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,}$/.exec(row.password_hash!);
    expect(m, row.password_hash!.slice(0, 30)).not.toBeNull();
    const [mem, t] = [Number(m![1]), Number(m![2])];
    expect(mem >= 19456 && t >= 2).toBe(true);
  });

  it('stops sign-in after repeated failures for an email, and a restarted server still stops it', async () => {
    const { email } = await signedUpClient(app, { name: 'Throttle' });
    const attempt = (a: FastifyInstance, password: string) =>
      a.inject({ method: 'POST', url: '/api/v1/auth/sign-in', payload: { email, password }, remoteAddress: '203.0.113.7' });
    let blocked = null as Awaited<ReturnType<typeof attempt>> | null;
    for (let i = 0; i < 30 && !blocked; i++) {
      const r = await attempt(app, `wrong ${i}`);
      if (r.statusCode === 429) blocked = r;
      else expect(r.statusCode).toBe(401);
    }
    expect(blocked, 'sign-in was never throttled').not.toBeNull();
    expect(Number(blocked!.headers['retry-after'])).toBeGreaterThan(0);
    // The right password does not get through while blocked.
    expect((await attempt(app, 'correct horse battery')).statusCode).toBe(429);
    // A new server process (new deps and app on the same database) remembers the block.
    const deps2 = buildDeps({
      config: env.deps.config,
      keys: env.deps.keys,
      databaseUrl: env.databaseUrl,
      log: env.deps.log,
      clock: env.deps.clock,
      poolMax: 2,
      defaultMetrics: false,
    });
    const app2 = await buildApp(deps2, { webDist: null });
    try {
      expect((await attempt(app2, 'correct horse battery')).statusCode).toBe(429);
    } finally {
      await app2.close();
      await deps2.close();
    }
  });
});
