import { listNotifications } from '@csme/contracts/inbox';
import * as P from '@csme/contracts/privacy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { buildExport } from './index.js';

// What a person is told about their data, besides the Privacy page: an export that is ready, and a
// deletion asked for or cancelled (by email whatever their settings: it may not have been them).

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const outbox = (to: string) =>
  env.deps.db.selectFrom('email_outbox').select(['subject', 'body_text']).where('to_address', '=', to).orderBy('created_at').execute();

describe('privacy notices', () => {
  it('tells the person when their export is ready, in the app', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Noa Export' });
    const ex = await p.client.ok(P.requestExport, {});
    await buildExport(systemCtx(env.deps), ex.id);
    const list = await p.client.ok(listNotifications, { query: {} });
    const ready = list.items.find((n) => n.title === 'Your export is ready');
    expect(ready?.url).toBe('/privacy');
    expect(ready?.body).toMatch(/^An archive of everything of yours \(\d+ records\) is ready to download on the Privacy page\./);
  });

  it('emails the person when their account is scheduled for deletion, and again when they cancel', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Noa Delete', password: 'a long family password' });
    const req = await p.client.ok(P.requestDeletion, { body: { password: 'a long family password', confirm: 'DELETE' } });
    const day = new Date(req.deletion.executeAfter).toLocaleDateString('en-GB', {
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
    let mail = await outbox(p.email);
    expect(mail.map((m) => m.subject)).toEqual([`Your account will be deleted on ${day}`]);
    expect(mail[0]!.body_text).toContain('Cancel it on the Privacy page');
    // The report link is a bearer secret: shown once on the page, never put in mail or notifications.
    expect(mail[0]!.body_text).not.toContain(req.reportToken);

    await p.client.ok(P.cancelDeletion, {});
    mail = await outbox(p.email);
    expect(mail.map((m) => m.subject)).toEqual([`Your account will be deleted on ${day}`, 'Your account will not be deleted']);
    const list = await p.client.ok(listNotifications, { query: {} });
    expect(list.items.map((n) => n.title)).toEqual(['Your account will not be deleted', `Your account will be deleted on ${day}`]);
  });

  it('sends nothing when the password is wrong', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Noa Wrong' });
    const bad = await p.client.call(P.requestDeletion, { body: { password: 'not the password', confirm: 'DELETE' } });
    expect(bad.status).toBe(403);
    expect(await outbox(p.email)).toEqual([]);
  });
});
