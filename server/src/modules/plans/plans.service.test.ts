import { getUsage } from '@csme/contracts/plans';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { quotaPeriod } from './plans.policy.js';
import { assertWithinLimit, getEntitlements, takeRuns } from './plans.service.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const d = (s: string) => new Date(s);
const iso = (p: { start: Date; end: Date }) => [p.start.toISOString(), p.end.toISOString()];

describe('quota months', () => {
  it('counts calendar months on Free', () => {
    expect(iso(quotaPeriod({ planId: 'free', anchor: d('2026-01-17T10:00:00Z'), now: d('2026-02-28T23:59:59Z') }))).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
  });

  it('counts months from the start day on paid plans, clamping the 29th to 31st in short months', () => {
    const anchor = d('2026-01-31T08:00:00Z');
    expect(iso(quotaPeriod({ planId: 'pro', anchor, now: d('2026-02-15T00:00:00Z') }))).toEqual([
      '2026-01-31T08:00:00.000Z',
      '2026-02-28T08:00:00.000Z',
    ]);
    expect(iso(quotaPeriod({ planId: 'pro', anchor, now: d('2026-03-01T00:00:00Z') }))).toEqual([
      '2026-02-28T08:00:00.000Z',
      '2026-03-31T08:00:00.000Z',
    ]);
    expect(iso(quotaPeriod({ planId: 'pro', anchor, now: d('2026-03-31T08:00:00Z') }))).toEqual([
      '2026-03-31T08:00:00.000Z',
      '2026-04-30T08:00:00.000Z',
    ]);
    const leap = d('2028-01-29T00:00:00Z');
    expect(iso(quotaPeriod({ planId: 'pro', anchor: leap, now: d('2028-02-29T12:00:00Z') }))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2028-03-29T00:00:00.000Z',
    ]);
  });

  it('gives a yearly plan twelve monthly quota periods', () => {
    const anchor = d('2026-05-15T00:00:00Z');
    const starts = Array.from({ length: 12 }, (_, k) =>
      quotaPeriod({ planId: 'pro', anchor, now: new Date(Date.UTC(2026, 4 + k, 20)) })
        .start.toISOString()
        .slice(0, 10),
    );
    expect(new Set(starts).size).toBe(12);
    expect(starts[11]).toBe('2027-04-15');
  });
});

describe('run quota', () => {
  it('admits exactly the limit when 1,000 triggers race for 300 runs', async () => {
    const { spaceId } = await signedUpClient(await env.app());
    const ent = await getEntitlements(env.deps.db, spaceId, env.clock.now());
    expect(ent.limits.runsPerMonth).toBe(300);
    const results = await Promise.all(Array.from({ length: 1000 }, () => takeRuns(env.deps.db, ent)));
    expect(results.filter((r) => r.admitted)).toHaveLength(300);
    const { client } = await signedUpClient(await env.app());
    expect((await client.ok(getUsage)).meters.find((m) => m.key === 'runs')!.used).toBe(0);
  });

  it('refuses with a readable reason and an offer when a countable limit is reached', async () => {
    const { spaceId } = await signedUpClient(await env.app());
    const ent = await getEntitlements(env.deps.db, spaceId, env.clock.now());
    const err = await assertWithinLimit(env.deps.db, ent, 'packs', 1).catch((e) => e);
    expect(err.code).toBe('quota_exceeded');
    expect(err.message).toBe('Free includes 1 pack; you have 1. Upgrade to Personal Pro for 5.');
    expect(err.details.offers[0]).toMatchObject({ kind: 'upgrade', planId: 'pro' });
  });

  it('raises the limits at once when an operator sets Personal Pro', async () => {
    const { client, email, spaceId } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const usage = await client.ok(getUsage);
    expect(usage.plan.id).toBe('pro');
    expect(usage.limits).toMatchObject({ packs: 5, agents: 15, runsPerMonth: 5000, connectors: 'all' });
    expect(usage.quotaPeriod.start).toBe(env.clock.now().toISOString());
    const ent = await getEntitlements(env.deps.db, spaceId, env.clock.now());
    await expect(assertWithinLimit(env.deps.db, ent, 'packs', 4)).resolves.toBeUndefined();
  });
});
