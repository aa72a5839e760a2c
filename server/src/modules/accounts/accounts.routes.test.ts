import * as A from '@csme/contracts/accounts';
import { listMailbox } from '@csme/contracts/notifications';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { createTestEnv, eventually, signedUpClient, TestClient, type TestEnv, uniqueEmail } from '#test/harness.js';

let env: TestEnv;
let operator: TestClient;

/** The mail the worker delivered to the development mailbox for this address. */
async function mailTo(email: string, count = 1) {
  await env.worker();
  return eventually(async () => {
    const r = await operator.ok(listMailbox, { query: { to: email, limit: 10 } });
    return r.items.filter((m) => m.status === 'captured').length >= count ? r.items : undefined;
  }, `mail to ${email}`);
}

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  // The first account of an instance is its operator.
  operator = (await signedUpClient(app, { name: 'Olga Operator' })).client;
});
afterAll(() => env.close());

describe('sign-up and sign-in', () => {
  it('makes the first account an operator and later accounts ordinary people', async () => {
    const me = await operator.ok(A.getSession);
    expect(me.account.isOperator).toBe(true);
    const { session } = await signedUpClient(await env.app(), { name: 'Dana' });
    expect(session.account.isOperator).toBe(false);
  });

  it('creates a personal space on the Free plan at sign-up', async () => {
    const { session } = await signedUpClient(await env.app(), { name: 'Ron' });
    expect(session.activeSpace).toMatchObject({ kind: 'personal', role: 'owner', planId: 'free', name: 'Ron' });
    expect(session.spaces).toHaveLength(1);
  });

  it('signs in with the right password and out again', async () => {
    const email = uniqueEmail('maya');
    await signedUpClient(await env.app(), { email, password: 'a long enough secret' });
    const c = new TestClient(await env.app());
    const r = await c.ok(A.signIn, { body: { email: email.toUpperCase(), password: 'a long enough secret' } });
    expect(r.status).toBe('signed_in');
    expect((await c.call(A.getSession)).status).toBe(200);
    await c.ok(A.signOut, { body: {} });
    expect((await c.call(A.getSession)).error?.code).toBe('unauthenticated');
  });

  it('answers a wrong password and an unknown email in exactly the same way', async () => {
    const email = uniqueEmail('lea');
    await signedUpClient(await env.app(), { email });
    const c = new TestClient(await env.app());
    const wrong = await c.call(A.signIn, { body: { email, password: 'not the password' } });
    const unknown = await c.call(A.signIn, { body: { email: uniqueEmail('nobody'), password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('refuses a taken address with a conflict when no SMTP is configured (documented)', async () => {
    const email = uniqueEmail('taken');
    await signedUpClient(await env.app(), { email });
    const c = new TestClient(await env.app());
    const r = await c.call(A.signUp, { body: { email, password: 'another password', displayName: 'Copy' } });
    expect(r.status).toBe(409);
    expect(r.error?.code).toBe('conflict');
  });

  it('stores names exactly as typed, markup and quotes included', async () => {
    const { session } = await signedUpClient(await env.app(), { name: `O'Brien <b>'; drop table account; --` });
    expect(session.account.displayName).toBe(`O'Brien <b>'; drop table account; --`);
  });

  it('explains every invalid field of a sign-up at once and writes nothing', async () => {
    const c = new TestClient(await env.app());
    const before = await env.deps.db
      .selectFrom('account')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const r = await c.call(A.signUp, { body: { email: 'not-an-email', password: 'short', displayName: '', extra: 1 } });
    expect(r.status).toBe(400);
    expect(r.error?.code).toBe('invalid_input');
    const paths = (r.error!.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.email', 'body.password', 'body.displayName']));
    const after = await env.deps.db
      .selectFrom('account')
      .select((e) => e.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});

describe('sign-in throttling', () => {
  it('blocks an email after repeated failures, and the block survives a restart', async () => {
    const email = uniqueEmail('target');
    await signedUpClient(await env.app(), { email, password: 'the real password' });
    const c = new TestClient(await env.app());
    for (let i = 0; i < 10; i++) await c.call(A.signIn, { body: { email, password: `guess number ${i}` } });
    const blocked = await c.call(A.signIn, { body: { email, password: 'the real password' } });
    expect(blocked.status).toBe(429);
    expect(blocked.error?.code).toBe('rate_limited');
    // A new process on the same database (a restart) still refuses.
    const restarted = await createTestEnv({ databaseUrl: env.databaseUrl, clock: env.clock, keys: env.keys });
    try {
      const again = await new TestClient(await restarted.app()).call(A.signIn, { body: { email, password: 'the real password' } });
      expect(again.status).toBe(429);
    } finally {
      await restarted.close();
    }
    // The block lifts when its window has passed.
    (env.clock as ManualClock).advance(16 * 60_000);
    expect((await c.call(A.signIn, { body: { email, password: 'the real password' } })).status).toBe(200);
  });
});

describe('sessions and CSRF', () => {
  it('refuses a state-changing request without the CSRF token', async () => {
    const { client } = await signedUpClient(await env.app());
    const csrf = client.csrf;
    client.csrf = null;
    const r = await client.call(A.updateAccount, { body: { displayName: 'Changed' } });
    expect(r.status).toBe(403);
    expect((r.error!.details as { reason: string }).reason).toBe('csrf');
    client.csrf = 'forged-token';
    expect((await client.call(A.updateAccount, { body: { displayName: 'Changed' } })).status).toBe(403);
    client.csrf = csrf;
    expect((await client.call(A.updateAccount, { body: { displayName: 'Changed' } })).status).toBe(200);
  });

  it('sets the session cookie HttpOnly and SameSite=Lax', async () => {
    const c = new TestClient(await env.app());
    const r = await c.call(A.signUp, { body: { email: uniqueEmail(), password: 'correct horse battery', displayName: 'Cookie' } });
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain http here; Secure behind TLS
  });

  it('answers 401 on protected routes without a session', async () => {
    const r = await new TestClient(await env.app()).call(A.getSession);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: { code: 'unauthenticated', message: 'Sign in to continue.' } });
  });

  it('switches the active space only to a space the person belongs to (404 otherwise)', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const r = await a.client.call(A.switchSpace, { body: { spaceId: b.spaceId } });
    expect(r.status).toBe(404);
    const own = await a.client.ok(A.switchSpace, { body: { spaceId: a.spaceId } });
    expect(own.activeSpace.id).toBe(a.spaceId);
  });

  it('signs out other sessions when the password changes', async () => {
    const email = uniqueEmail('pw');
    const first = await signedUpClient(await env.app(), { email, password: 'first password!' });
    const second = new TestClient(await env.app());
    await second.ok(A.signIn, { body: { email, password: 'first password!' } });
    await first.client.ok(A.changePassword, { body: { currentPassword: 'first password!', newPassword: 'second password!' } });
    expect((await second.call(A.getSession)).status).toBe(401);
    expect((await first.client.call(A.getSession)).status).toBe(200);
  });
});

describe('password reset through the development mailbox', () => {
  it('answers the same for known and unknown addresses and mails a one-time link to the known one', async () => {
    const email = uniqueEmail('reset');
    await signedUpClient(await env.app(), { email, password: 'forgotten password' });
    const anon = new TestClient(await env.app());
    const known = await anon.call(A.requestPasswordReset, { body: { email } });
    const unknown = await anon.call(A.requestPasswordReset, { body: { email: uniqueEmail('ghost') } });
    expect(known.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.status).toBe('captured');
    const token = decodeURIComponent(/#token=([^\s"<]+)/.exec(mails[0]!.text)![1]!);
    await anon.ok(A.confirmPasswordReset, { body: { token, password: 'brand new password' } });
    const reused = await anon.call(A.confirmPasswordReset, { body: { token, password: 'another new password' } });
    expect(reused.status).toBe(400);
    expect((await anon.call(A.signIn, { body: { email, password: 'brand new password' } })).status).toBe(200);
  });

  it('never writes the reset link into the logs', async () => {
    const email = uniqueEmail('logs');
    await signedUpClient(await env.app(), { email });
    await new TestClient(await env.app()).call(A.requestPasswordReset, { body: { email } });
    const mails = await mailTo(email);
    const token = /#token=([^\s"<]+)/.exec(mails[0]!.text)![1]!;
    expect(env.logs.join('\n')).not.toContain(decodeURIComponent(token));
    expect(env.logs.join('\n')).not.toContain('correct horse battery');
  });

  it('shows the mailbox to operators only', async () => {
    const { client } = await signedUpClient(await env.app());
    expect((await client.call(listMailbox, { query: { limit: 5 } })).status).toBe(403);
  });
});

describe('second factor (TOTP)', () => {
  it('asks for the code after the password, and refuses a wrong code', async () => {
    const email = uniqueEmail('totp');
    const { client } = await signedUpClient(await env.app(), { email, password: 'totp password 1' });
    const setup = await client.ok(A.startTotpSetup, { body: {} });
    expect(setup.otpauthUrl).toContain('otpauth://totp/');
    const epoch = Math.floor(env.clock.now().getTime() / 1000);
    await client.ok(A.enableTotp, { body: { code: generateSync({ secret: setup.secret, epoch }) } });
    const c = new TestClient(await env.app());
    expect((await c.ok(A.signIn, { body: { email, password: 'totp password 1' } })).status).toBe('totp_required');
    const wrong = await c.call(A.signIn, { body: { email, password: 'totp password 1', totpCode: '000000' } });
    expect(wrong.status).toBe(401);
    const ok = await c.ok(A.signIn, {
      body: { email, password: 'totp password 1', totpCode: generateSync({ secret: setup.secret, epoch }) },
    });
    expect(ok.status).toBe('signed_in');
  });

  it('keeps the TOTP seed encrypted at rest', async () => {
    const rows = await env.deps.db.selectFrom('account').select('totp_secret').where('totp_secret', 'is not', null).execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.totp_secret!.toString('utf8')).not.toMatch(/^[A-Z2-7]{16,}$/);
  });
});
