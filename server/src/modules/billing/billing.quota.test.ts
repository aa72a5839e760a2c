import { adminPayInvoice, checkout } from '@csme/contracts/billing';
import { getUsage } from '@csme/contracts/plans';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { getEntitlements, takeRuns } from '#modules/plans/index.js';
import { buyOffline, longSessions, operatorClient } from '#test/billing.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

// Quota months with a controllable clock: the calendar month on Free, months from the subscription's
// start day on paid plans (yearly ones included), with the 29th to 31st clamped in short months.

const clock = new ManualClock('2026-01-31T08:00:00Z');
let env: TestEnv;
let op: TestClient;
beforeAll(async () => {
  env = await createTestEnv({ clock });
  await longSessions(env);
  op = await operatorClient(env);
});
afterAll(() => env.close());

/** Uses up the whole quota month, then tries one more run. */
async function exhaust(spaceId: string): Promise<{ limit: number; start: string; oneMore: boolean }> {
  const ent = await getEntitlements(env.deps.db, spaceId, clock.now());
  const all = await takeRuns(env.deps.db, ent, ent.limits.runsPerMonth);
  expect(all.admitted).toBe(true);
  const more = await takeRuns(env.deps.db, ent, 1);
  return { limit: all.limit, start: ent.quota.start.toISOString(), oneMore: more.admitted };
}

async function canRun(spaceId: string): Promise<boolean> {
  const ent = await getEntitlements(env.deps.db, spaceId, clock.now());
  return (await takeRuns(env.deps.db, ent, 1)).admitted;
}

describe('quota months', () => {
  it('resets Free on the first of each calendar month', async () => {
    clock.set('2026-01-31T08:00:00Z');
    const { spaceId } = await signedUpClient(await env.app());
    expect(await exhaust(spaceId)).toEqual({ limit: 300, start: '2026-01-01T00:00:00.000Z', oneMore: false });
    clock.set('2026-01-31T23:59:59Z');
    expect(await canRun(spaceId)).toBe(false);
    clock.set('2026-02-01T00:00:00Z');
    expect(await canRun(spaceId)).toBe(true);
  });

  it('resets a monthly plan bought on the 31st on the 28th of February, then the 31st of March', async () => {
    clock.set('2026-01-31T08:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, op, { planId: 'pro', interval: 'month' });
    expect(await exhaust(spaceId)).toEqual({ limit: 5000, start: '2026-01-31T08:00:00.000Z', oneMore: false });
    clock.set('2026-02-28T07:59:59Z');
    expect(await canRun(spaceId)).toBe(false);
    clock.set('2026-02-28T08:00:00Z');
    const usage = await client.ok(getUsage);
    expect(usage.quotaPeriod).toEqual({ start: '2026-02-28T08:00:00.000Z', end: '2026-03-31T08:00:00.000Z' });
    expect(usage.meters.find((m) => m.key === 'runs')).toMatchObject({ used: 0, limit: 5000 });
    expect(await exhaust(spaceId)).toMatchObject({ start: '2026-02-28T08:00:00.000Z', oneMore: false });
    clock.set('2026-03-31T08:00:00Z');
    expect(await canRun(spaceId)).toBe(true);
  });

  for (const day of [29, 30, 31]) {
    it(`clamps a plan started on the ${day}th to short months and returns to the ${day}th after them`, async () => {
      clock.set(`2026-01-${day}T12:00:00Z`);
      const { client } = await signedUpClient(await env.app());
      await buyOffline(client, op, { planId: 'pro', interval: 'month' });
      const starts: string[] = [];
      for (const probe of ['2026-02-27T00:00:00Z', '2026-03-15T00:00:00Z', '2026-04-15T00:00:00Z', '2026-05-15T00:00:00Z']) {
        clock.set(probe);
        starts.push((await client.ok(getUsage)).quotaPeriod.start.slice(0, 10));
      }
      expect(starts).toEqual([`2026-01-${day}`, '2026-02-28', `2026-03-${day}`, `2026-04-${Math.min(day, 30)}`]);
    });
  }

  it('gives a yearly plan twelve quota months, each with the full monthly quota', async () => {
    clock.set('2026-05-31T10:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, op, { planId: 'pro', interval: 'year' });
    const months: string[] = [];
    for (let k = 0; k < 12; k++) {
      clock.set(new Date(Date.UTC(2026, 5 + k, 10))); // the 10th of the next calendar month is inside quota month k
      const r = await exhaust(spaceId);
      expect(r.limit).toBe(5000);
      expect(r.oneMore).toBe(false);
      months.push(r.start.slice(0, 10));
    }
    expect(months).toEqual([
      '2026-05-31',
      '2026-06-30',
      '2026-07-31',
      '2026-08-31',
      '2026-09-30',
      '2026-10-31',
      '2026-11-30',
      '2026-12-31',
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
    ]);
    // The yearly period itself still ends a year after it started.
    clock.set('2027-05-30T00:00:00Z');
    const usage = await client.ok(getUsage);
    expect(usage.subscription).toMatchObject({ interval: 'year', currentPeriodEnd: '2027-05-31T10:00:00.000Z' });
  });

  it('keeps counting the same quota month when a monthly plan becomes yearly', async () => {
    clock.set('2026-03-10T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, op, { planId: 'pro', interval: 'month' });
    const ent = await getEntitlements(env.deps.db, spaceId, clock.now());
    await takeRuns(env.deps.db, ent, 120);
    clock.set('2026-03-25T00:00:00Z');
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'year' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    await op.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    const usage = await client.ok(getUsage);
    expect(usage.subscription.interval).toBe('year');
    expect(usage.quotaPeriod.start).toBe('2026-03-10T00:00:00.000Z');
    expect(usage.meters.find((m) => m.key === 'runs')).toMatchObject({ used: 120, limit: 5000 });
  });
});
