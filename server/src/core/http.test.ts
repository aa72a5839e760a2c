import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
let cookie: string;
let csrf: string;
const countAccounts = async () =>
  Number(
    (
      await env.deps.db
        .selectFrom('account')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  env = await createTestEnv();
  const s = await signedUpClient(await env.app());
  cookie = s.client.cookie!;
  csrf = s.client.csrf!;
});
afterAll(() => env.close());

async function post(url: string, payload: string | Buffer, contentType = 'application/json', signedIn = false) {
  const app = await env.app();
  return app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': contentType, ...(signedIn ? { cookie, 'x-csrf-token': csrf } : {}) },
  });
}

describe('bad input gets a clear error and writes nothing', () => {
  it.each([
    ['malformed JSON', '{"email": ', 400, 'invalid_input', /not valid JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'invalid_input', /UTF-8/],
    ['a __proto__ key', '{"__proto__": {"isOperator": true}, "email": "a@b.c"}', 400, 'invalid_input', /forbidden key/],
    ['a NUL character', '{"email":"a@b.c","password":"0123456789\\u0000","displayName":"x"}', 400, 'invalid_input', /NUL/],
    ['deep nesting', `{"a":${'['.repeat(100)}${']'.repeat(100)}}`, 400, 'invalid_input', /nested deeper/],
    ['wrong types', '{"email": 42, "password": [], "displayName": {}}', 400, 'invalid_input', /body\.email/],
    [
      'unknown fields',
      '{"email":"a@b.co","password":"0123456789ab","displayName":"x","isOperator":true}',
      400,
      'invalid_input',
      /isOperator|Unrecognized/i,
    ],
    [
      'a very long string',
      JSON.stringify({ email: 'a@b.co', password: '0123456789ab', displayName: 'x'.repeat(100_000) }),
      400,
      'invalid_input',
      /displayName/,
    ],
  ])('%s', async (_name, payload, status, code, message) => {
    const before = await countAccounts();
    const res = await post('/api/v1/auth/sign-up', payload);
    expect(res.statusCode).toBe(status);
    const body = res.json();
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(await countAccounts()).toBe(before);
  });

  it('refuses a body over the size limit with 413', async () => {
    const res = await post('/api/v1/auth/sign-up', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('refuses a content type the route does not take with 415', async () => {
    const res = await post('/api/v1/auth/sign-up', 'email=a@b.c', 'text/plain');
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('unsupported_media_type');
  });

  it('answers an unknown API path with the one error shape', async () => {
    const app = await env.app();
    const res = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'There is no GET /api/v1/nothing-here.' } });
  });

  it('sends security headers on every answer', async () => {
    const app = await env.app();
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('operations endpoints', () => {
  it('reports health, readiness and Prometheus metrics', async () => {
    const app = await env.app();
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.body).toContain('csme_http_request_duration_seconds');
  });

  it('publishes an OpenAPI document that documents the error shape', async () => {
    const app = await env.app();
    const doc = (await app.inject({ url: '/api/openapi.json' })).json();
    expect(doc.openapi).toBe('3.0.3');
    const signUp = doc.paths['/api/v1/auth/sign-up'].post;
    expect(signUp.requestBody.content['application/json'].schema.properties.email).toBeDefined();
    expect(Object.keys(signUp.responses)).toEqual(expect.arrayContaining(['201', '4XX']));
  });
});
