import { switchSpace } from '@csme/contracts/accounts';
import * as R from '@csme/contracts/reminders';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import { createFamily } from '#modules/admin/index.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { fireDueReminders, fireReminder } from './reminders/reminders.service.js';

// Due reminders reach the member they are for: a notification to that member, a `reminder.due` event,
// and the next occurrence scheduled (one job per due time, keyed by the reminder). No worker runs
// here: the test moves the clock and fires what is due, as the job and the sweep do.

let env: TestEnv;
const clock = () => env.clock as ManualClock;

beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const notes = (accountId: string) =>
  env.deps.db
    .selectFrom('notification')
    .select(['title', 'body', 'kind'])
    .where('owner_account_id', '=', accountId)
    .where('kind', '=', 'reminder.due')
    .execute();
const jobFor = async (id: string) =>
  (await sql<{ run_at: Date }>`select run_at from graphile_worker.jobs where key = ${`reminder:${id}`}`.execute(env.deps.db)).rows[0]
    ?.run_at;

describe('firing reminders', () => {
  it('tells the member it is for (not the one who set it), raises reminder.due, and moves a weekly one to next week', async () => {
    const app = await env.app();
    const owner = await signedUpClient(app, { name: 'Noa Cohen' });
    const kid = await signedUpClient(app, { name: 'Tom Cohen' });
    const { spaceId } = await createFamily(systemCtx(env.deps), owner.email);
    await env.deps.db
      .insertInto('membership')
      .values({ id: newId(), space_id: spaceId, account_id: kid.accountId, role: 'child' })
      .execute();
    for (const p of [owner, kid]) await p.client.ok(switchSpace, { body: { spaceId } });
    clock().set('2026-03-10T09:00:00Z');
    const r = await owner.client.ok(R.createReminder, { body: { text: 'remind Tom to take the bins out every Tuesday at 7pm' } });
    expect(await jobFor(r.id)).toEqual(new Date('2026-03-10T19:00:00Z'));
    // Not yet due: a job that runs early fires nothing.
    expect(await fireReminder(systemCtx(env.deps), spaceId, r.id)).toBe(false);
    clock().set('2026-03-10T19:00:30Z');
    expect(await fireDueReminders(systemCtx(env.deps))).toBe(1);
    expect(await notes(kid.accountId)).toEqual([
      { title: 'Reminder: Take the bins out', body: 'Every Tuesday at 19:00 · From Noa Cohen', kind: 'reminder.due' },
    ]);
    expect(await notes(owner.accountId)).toEqual([]);
    const ev = await env.deps.db
      .selectFrom('agent_event')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('type', '=', 'reminder.due')
      .execute();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({
      owner_account_id: kid.accountId,
      visibility: 'shared',
      data: { reminderId: r.id, dueAt: '2026-03-10T19:00:00.000Z' },
    });
    const after = (await kid.client.ok(R.listReminders)).items.find((x) => x.id === r.id)!;
    expect(after).toMatchObject({ dueAt: '2026-03-17T19:00:00.000Z', lastFiredAt: '2026-03-10T19:00:30.000Z', status: 'active' });
    expect(await jobFor(r.id)).toEqual(new Date('2026-03-17T19:00:00Z'));
    // A doubled job or sweep fires nothing twice.
    expect(await fireReminder(systemCtx(env.deps), spaceId, r.id)).toBe(false);
    expect(await fireDueReminders(systemCtx(env.deps))).toBe(0);
    expect(await notes(kid.accountId)).toHaveLength(1);
  });

  it('fires a one-off once, again after a snooze, and a weekly one missed for weeks only once, then on its next time', async () => {
    const { client, accountId, spaceId } = await signedUpClient(await env.app(), { name: 'Dana Levi' });
    clock().set('2026-03-10T09:00:00Z');
    const once = await client.ok(R.createReminder, { body: { title: 'Call the plumber', dueAt: '2026-03-10T10:00:00Z' } });
    clock().set('2026-03-10T10:01:00Z');
    await fireDueReminders(systemCtx(env.deps));
    expect(await fireReminder(systemCtx(env.deps), spaceId, once.id)).toBe(false);
    expect(await notes(accountId)).toHaveLength(1);
    const snoozed = await client.ok(R.updateReminder, { params: { reminderId: once.id }, body: { snoozeMinutes: 15 } });
    expect(snoozed.dueAt).toBe('2026-03-10T10:16:00.000Z');
    expect(await jobFor(once.id)).toEqual(new Date('2026-03-10T10:16:00Z'));
    clock().set('2026-03-10T10:16:00Z');
    expect(await fireReminder(systemCtx(env.deps), spaceId, once.id)).toBe(true);
    expect(await notes(accountId)).toHaveLength(2);

    const weekly = await client.ok(R.createReminder, {
      body: { title: 'Water the plants', dueAt: '2026-03-11T08:00:00Z', rrule: 'FREQ=WEEKLY' },
    });
    clock().set('2026-04-02T12:00:00Z'); // three weeks of downtime
    expect(await fireReminder(systemCtx(env.deps), spaceId, weekly.id)).toBe(true);
    expect(await fireReminder(systemCtx(env.deps), spaceId, weekly.id)).toBe(false);
    const w = (await client.ok(R.listReminders)).items.find((x) => x.id === weekly.id)!;
    expect(w.dueAt).toBe('2026-04-08T08:00:00.000Z');
    // A deleted reminder's job finds nothing to fire.
    await client.ok(R.deleteReminder, { params: { reminderId: weekly.id } });
    clock().set('2026-04-08T08:00:00Z');
    expect(await fireReminder(systemCtx(env.deps), spaceId, weekly.id)).toBe(false);
  });
});
