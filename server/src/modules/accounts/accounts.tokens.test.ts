import * as A from '@csme/contracts/accounts';
import * as M from '@csme/contracts/marketplace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { longSessions } from '#test/billing.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { bundleB64, creatorClient, samplePack } from '#test/marketplace.js';

const clock = new ManualClock('2026-03-10T09:00:00Z');
let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv({ clock });
  await longSessions(env);
});
afterAll(() => env.close());

async function withToken(token: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const app = await env.app();
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
    ...(payload ? { payload: JSON.stringify(payload) } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

describe('personal API tokens', () => {
  it('publish with the packs:publish scope, without a cookie or CSRF token, and only as their own account', async () => {
    const carmela = await creatorClient(env);
    const other = await creatorClient(env, carmela.operator, 'Other Creator');
    const created = await carmela.client.ok(A.createApiToken, { body: { name: 'laptop', scopes: ['packs:publish'], expiresInDays: 30 } });
    expect(created.token).toMatch(/^csme_pat_/);
    expect(created.view).toMatchObject({ name: 'laptop', scopes: ['packs:publish'], revokedAt: null });
    // Only the hash is stored.
    const stored = await env.deps.db.selectFrom('api_token').selectAll().where('id', '=', created.view.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(9));
    const r = await withToken(created.token, 'POST', '/api/v1/creator/submissions', {
      bundle: await bundleB64(samplePack({ id: 'token-pack' })),
    });
    expect(r.status).toBe(201);
    expect(r.body.packId).toBe('token-pack');
    const mine = await withToken(created.token, 'GET', '/api/v1/creator/submissions');
    expect(mine.body.items.map((s: { packId: string }) => s.packId)).toEqual(['token-pack']);
    // The other creator's session never sees it; their token would not either.
    expect((await other.client.ok(M.listSubmissions)).items).toEqual([]);
    const theirs = await other.client.ok(A.createApiToken, { body: { name: 'x', scopes: ['packs:publish'] } });
    expect((await withToken(theirs.token, 'GET', '/api/v1/creator/submissions')).body.items).toEqual([]);
    // A token cannot revoke another account's token (not found).
    expect((await other.client.call(A.revokeApiToken, { params: { tokenId: created.view.id } })).status).toBe(404);
  });

  it('are limited to their scopes: other routes refuse them, whatever the route', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Scoped' });
    const t = await p.client.ok(A.createApiToken, { body: { name: 'read only', scopes: ['studio:read'] } });
    expect((await withToken(t.token, 'GET', '/api/v1/creator/packs')).status).toBe(200);
    const submit = await withToken(t.token, 'POST', '/api/v1/creator/submissions', { bundle: 'AAAA' });
    expect(submit.status).toBe(403);
    expect(submit.body.error.message).toBe('This API token lacks the scope packs:publish.');
    for (const [method, url] of [
      ['GET', '/api/v1/auth/session'],
      ['GET', '/api/v1/installations'],
      ['GET', '/api/v1/account/tokens'],
      ['POST', '/api/v1/account/tokens'],
      ['GET', '/api/v1/admin/marketplace/submissions'],
    ] as const) {
      const r = await withToken(t.token, method, url, method === 'POST' ? { name: 'more', scopes: ['packs:publish'] } : undefined);
      expect(r.status, `${method} ${url}`).toBe(403);
      expect(r.body.error.details.reason).toBe('token_scope');
    }
  });

  it('stop working when they expire or are revoked, and a bad token is never taken for the session cookie', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Expiring' });
    const t = await p.client.ok(A.createApiToken, { body: { name: 'short', scopes: ['studio:read'], expiresInDays: 1 } });
    expect((await withToken(t.token, 'GET', '/api/v1/creator/packs')).status).toBe(200);
    clock.advance(86_400_000 + 1000);
    const expired = await withToken(t.token, 'GET', '/api/v1/creator/packs');
    expect(expired.status).toBe(401);
    expect(expired.body.error.details.reason).toBe('token_invalid');
    const t2 = await p.client.ok(A.createApiToken, { body: { name: 'revoke me', scopes: ['studio:read'] } });
    expect((await withToken(t2.token, 'GET', '/api/v1/creator/packs')).status).toBe(200);
    const revoked = await p.client.ok(A.revokeApiToken, { params: { tokenId: t2.view.id } });
    expect(revoked.revokedAt).not.toBeNull();
    expect((await withToken(t2.token, 'GET', '/api/v1/creator/packs')).status).toBe(401);
    expect((await withToken(`${t2.token}x`, 'GET', '/api/v1/creator/packs')).status).toBe(401);
    const app = await env.app();
    const both = await app.inject({
      method: 'GET',
      url: '/api/v1/auth/session',
      headers: { cookie: p.client.cookie!, authorization: 'Bearer nope' },
    });
    expect(both.statusCode).toBe(401);
    const list = await p.client.ok(A.listApiTokens);
    expect(list.items.map((x) => x.name)).toEqual(['revoke me', 'short']);
    expect(JSON.stringify(list)).not.toContain(t2.token);
  });
});
