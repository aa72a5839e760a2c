import { readFileSync } from 'node:fs';
import * as A from '@csme/contracts/accounts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { smtpSetting } from '#modules/notifications/index.js';
import { createTestEnv, eventually, TestClient, type TestEnv, uniqueEmail } from '#test/harness.js';

let env: TestEnv;
const smtp = () => inject('services').smtp;

/** The messages the test SMTP server received for an address (real SMTP, delivered by the worker). */
function received(to: string) {
  return readFileSync(smtp().received, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { to: string; messageId: string; file: string })
    .filter((m) => m.to === to);
}

beforeAll(async () => {
  env = await createTestEnv();
  await env.deps.settings.set(
    env.deps.db,
    smtpSetting,
    { host: smtp().host, port: smtp().port, tlsMode: 'none', username: null, password: null, from: 'csme <no-reply@csme.test>' },
    null,
  );
  await env.worker();
});
afterAll(() => env.close());

describe('sign-up with SMTP configured', () => {
  it('answers "check your email" for a new address and for a taken one alike', async () => {
    const c = new TestClient(await env.app());
    const email = uniqueEmail('smtp');
    const first = await c.call(A.signUp, { body: { email, password: 'password number one', displayName: 'First' } });
    const again = await c.call(A.signUp, { body: { email, password: 'password number two', displayName: 'Second' } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(first.body).toEqual({ status: 'check_email' });
    expect(again.body).toEqual(first.body);
    // The new address got a confirmation mail, and then a notice that someone tried again.
    await eventually(async () => received(email).length >= 2 || undefined, 'two mails over SMTP');
  });

  it('does not let the account in until the emailed link is opened, then signs it in', async () => {
    const email = uniqueEmail('verify');
    const c = new TestClient(await env.app());
    await c.ok(A.signUp, { body: { email, password: 'verify me please', displayName: 'Verify' } });
    const early = await c.call(A.signIn, { body: { email, password: 'verify me please' } });
    expect(early.status).toBe(403);
    // The link, as the person finds it in the mail the SMTP server received.
    const [mail] = await eventually(async () => (received(email).length ? received(email) : undefined), 'the confirmation mail over SMTP');
    const raw = readFileSync(mail!.file, 'utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=3D/g, '=');
    const token = decodeURIComponent(/#token=([A-Za-z0-9_%-]+)/.exec(raw)?.[1] ?? '');
    // Once delivered, the outbox keeps no copy of the link.
    const row = await eventually(async () => {
      const r = await env.deps.db
        .selectFrom('email_outbox')
        .select(['status', 'body_text'])
        .where('to_address', '=', email)
        .executeTakeFirstOrThrow();
      return r.status === 'sent' ? r : undefined;
    }, 'the outbox to record the delivery');
    expect(row.body_text).toBe('(delivered)');
    expect(token.length).toBeGreaterThan(20);
    const verified = await c.ok(A.verifyEmail, { body: { token } });
    expect(verified.status).toBe('signed_in');
    expect((await c.call(A.verifyEmail, { body: { token } })).status).toBe(400);
  });
});
