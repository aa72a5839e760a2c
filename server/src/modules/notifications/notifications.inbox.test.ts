import * as I from '@csme/contracts/inbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { notify, sendDailyDigests } from './notifications.service.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const mailsTo = (accountId: string) =>
  env.deps.db.selectFrom('email_outbox').select(['kind', 'subject']).where('account_id', '=', accountId).orderBy('id').execute();

describe('in-app notifications and preferences', () => {
  it("lists a person's notifications, newest first, and marks them read", async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const other = await signedUpClient(await env.app());
    const ctx = systemCtx(env.deps);
    await notify(ctx, { spaceId, accountId, kind: 'agent.message', title: 'First' });
    await notify(ctx, { spaceId, accountId, kind: 'agent.message', title: 'Second', url: '/tasks' });
    await notify(ctx, { spaceId: other.spaceId, accountId: other.accountId, kind: 'agent.message', title: 'Not yours' });
    const list = await client.ok(I.listNotifications);
    expect(list.items.map((n) => n.title)).toEqual(['Second', 'First']);
    expect(list.unreadCount).toBe(2);
    const r = await client.ok(I.markNotificationsRead, { body: { ids: [list.items[0]!.id] } });
    expect(r.unreadCount).toBe(1);
    expect((await client.ok(I.markNotificationsRead, { body: {} })).unreadCount).toBe(0);
    expect((await other.client.ok(I.listNotifications)).unreadCount).toBe(1);
  });

  it('emails what the person chose, always emails what must reach them, and gathers the rest into a daily digest', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const ctx = systemCtx(env.deps);
    // Defaults: the caller's suggestion holds until the person chooses.
    await notify(ctx, { spaceId, accountId, kind: 'agent.message', title: 'By default by email', email: true });
    expect((await mailsTo(accountId)).map((m) => m.subject)).toEqual(['By default by email']);
    const prefs = await client.ok(I.getNotificationPrefs);
    await client.ok(I.updateNotificationPrefs, {
      body: { ...prefs, topics: { ...prefs.topics, agents: { email: false, push: true } }, dailyDigest: { enabled: true, time: '18:00' } },
    });
    await notify(ctx, { spaceId, accountId, kind: 'agent.message', title: 'Not by email now', email: true });
    await notify(ctx, { spaceId, accountId, kind: 'action.unknown', title: 'Please check: Send reply' });
    expect((await mailsTo(accountId)).map((m) => m.subject)).toEqual(['By default by email', 'Please check: Send reply']);
    const clock = env.clock as ManualClock;
    const start = clock.now();
    try {
      clock.set('2026-03-10T17:00:00Z');
      await sendDailyDigests(ctx);
      expect(await mailsTo(accountId)).toHaveLength(2);
      clock.set('2026-03-10T18:05:00Z');
      await sendDailyDigests(ctx);
      await sendDailyDigests(ctx);
      const mails = await mailsTo(accountId);
      expect(mails).toHaveLength(3);
      expect(mails[2]).toMatchObject({ kind: 'notification.daily_digest', subject: 'Your daily digest: 3 updates' });
    } finally {
      clock.set(start);
    }
  });

  it('refuses preferences with an impossible digest time', async () => {
    const { client } = await signedUpClient(await env.app());
    const prefs = await client.ok(I.getNotificationPrefs);
    const r = await client.call(I.updateNotificationPrefs, { body: { ...prefs, dailyDigest: { enabled: true, time: '25:00' } } });
    expect(r.status).toBe(400);
  });
});
