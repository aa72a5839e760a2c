import { checkout, quoteBilling } from '@csme/contracts/billing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { buyOffline, longSessions, operatorClient } from '#test/billing.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import {
  classifyChange,
  nextPeriodEnd,
  periodFraction,
  prorate,
  roundDiv,
  taxOn,
  toYearlyCharge,
  unusedCredit,
  upgradeCharge,
} from './billing.policy.js';

const DAY = 86_400;

describe('money rules (PRODUCT.md "Plans")', () => {
  it('rounds half away from zero in integers', () => {
    expect([roundDiv(5n, 2n), roundDiv(-5n, 2n), roundDiv(7n, 3n), roundDiv(8n, 3n), roundDiv(-8n, 3n), roundDiv(0n, 7n)]).toEqual([
      3n,
      -3n,
      2n,
      3n,
      -3n,
      0n,
    ]);
    expect(prorate(4400, 1, 3)).toBe(1467);
    expect(prorate(1, 1, 2)).toBe(1);
    expect(prorate(-1, 1, 2)).toBe(-1);
    expect(taxOn(4500, 1800)).toBe(810);
    expect(taxOn(1467, 1700)).toBe(249); // 249.39
    expect(taxOn(1250, 1000)).toBe(125);
    expect(taxOn(5, 1000)).toBe(1); // 0.5 rounds away from zero
  });

  it('prorates an upgrade within the same interval: the worked examples', () => {
    // Pro monthly $12 to Family monthly $24 with 10 of 30 days left: $4.00.
    expect(upgradeCharge({ oldPrice: 1200, newPrice: 2400, left: 10 * DAY, total: 30 * DAY })).toBe(400);
    // ₪45 to ₪89: round(4400 × 1/3) = 1467 agorot.
    expect(upgradeCharge({ oldPrice: 4500, newPrice: 8900, left: 10 * DAY, total: 30 * DAY })).toBe(1467);
    // Yearly: Pro $120 to Family $240 with 73 of 365 days left; ₪450 to ₪890.
    expect(upgradeCharge({ oldPrice: 12000, newPrice: 24000, left: 73 * DAY, total: 365 * DAY })).toBe(2400);
    expect(upgradeCharge({ oldPrice: 45000, newPrice: 89000, left: 73 * DAY, total: 365 * DAY })).toBe(8800);
    // To the second: one second left of a 31-day month.
    expect(upgradeCharge({ oldPrice: 1200, newPrice: 2400, left: 1, total: 31 * DAY })).toBe(0);
    expect(upgradeCharge({ oldPrice: 1200, newPrice: 2400, left: 31 * DAY - 1, total: 31 * DAY })).toBe(1200);
  });

  it('prorates monthly to yearly: a new yearly period, the unused month credited', () => {
    expect(toYearlyCharge({ oldMonthly: 1200, newYearly: 12000, left: 15 * DAY, total: 30 * DAY })).toBe(11400);
    expect(toYearlyCharge({ oldMonthly: 4500, newYearly: 45000, left: 15 * DAY, total: 30 * DAY })).toBe(42750);
    expect(unusedCredit({ oldMonthly: 1200, left: 15 * DAY, total: 30 * DAY })).toBe(600);
    // Pro monthly to Family yearly (a higher plan): $240 - $6.
    expect(toYearlyCharge({ oldMonthly: 1200, newYearly: 24000, left: 15 * DAY, total: 30 * DAY })).toBe(23400);
    expect(toYearlyCharge({ oldMonthly: 4500, newYearly: 89000, left: 15 * DAY, total: 30 * DAY })).toBe(86750);
  });

  it('measures the period in whole seconds', () => {
    const start = new Date('2026-04-01T00:00:00Z');
    const end = new Date('2026-05-01T00:00:00Z');
    expect(periodFraction(new Date('2026-04-21T00:00:00.999Z'), start, end)).toEqual({ left: 10 * DAY - 1, total: 30 * DAY });
    expect(periodFraction(new Date('2026-05-02T00:00:00Z'), start, end)).toEqual({ left: 0, total: 30 * DAY });
  });

  it('says which changes are now and which wait for the end of the period', () => {
    const c = (a: string, ai: 'month' | 'year' | null, b: string, bi: 'month' | 'year' | null) =>
      classifyChange({ planId: a, interval: ai }, { planId: b, interval: bi });
    expect(c('free', null, 'pro', 'month')).toBe('new');
    expect(c('pro', 'month', 'family', 'month')).toBe('upgrade');
    expect(c('pro', 'year', 'family', 'year')).toBe('upgrade');
    expect(c('pro', 'month', 'pro', 'year')).toBe('to_yearly');
    expect(c('pro', 'month', 'family', 'year')).toBe('to_yearly');
    expect(c('family', 'month', 'pro', 'month')).toBe('downgrade');
    expect(c('family', 'month', 'pro', 'year')).toBe('downgrade');
    expect(c('pro', 'year', 'pro', 'month')).toBe('to_monthly');
    expect(c('pro', 'year', 'family', 'month')).toBe('to_monthly');
    expect(c('pro', 'month', 'free', null)).toBe('cancel');
    expect(c('pro', 'month', 'pro', 'month')).toBe('same');
  });

  it('renews periods on the start day, recovering it after short months', () => {
    const ends = [new Date('2026-01-31T08:00:00Z'), new Date('2026-02-28T08:00:00Z')];
    for (let i = 0; i < 4; i++) ends.push(nextPeriodEnd(ends.at(-2)!, ends.at(-1)!, 'month'));
    expect(ends.map((d) => d.toISOString().slice(0, 10))).toEqual([
      '2026-01-31',
      '2026-02-28',
      '2026-03-31',
      '2026-04-30',
      '2026-05-31',
      '2026-06-30',
    ]);
    expect(nextPeriodEnd(new Date('2028-02-29T00:00:00Z'), new Date('2029-02-28T00:00:00Z'), 'year').toISOString()).toBe(
      '2030-02-28T00:00:00.000Z',
    );
    expect(nextPeriodEnd(new Date('2026-01-30T00:00:00Z'), new Date('2026-02-28T00:00:00Z'), 'month').toISOString()).toBe(
      '2026-03-30T00:00:00.000Z',
    );
  });
});

describe('quotes through the API, in both currencies', () => {
  const clock = new ManualClock('2026-04-01T00:00:00Z');
  let env: TestEnv;
  let op: TestClient;
  beforeAll(async () => {
    env = await createTestEnv({ clock });
    await longSessions(env);
    op = await operatorClient(env);
  });
  afterAll(() => env.close());

  async function subscriber(currency: 'USD' | 'ILS', interval: 'month' | 'year') {
    clock.set('2026-04-01T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    await buyOffline(client, op, { planId: 'pro', interval, currency });
    return client;
  }
  const quote = (client: TestClient, planId: string, interval: 'month' | 'year') =>
    client.ok(quoteBilling, { body: { action: 'change_plan', planId, interval } });

  for (const [currency, upgrade, toYearly] of [
    ['USD', 400, 11400],
    ['ILS', 1467, 42750],
  ] as const) {
    it(`charges ${upgrade} for Pro to Family monthly with 10 of 30 days left (${currency})`, async () => {
      const client = await subscriber(currency, 'month');
      clock.set('2026-04-21T00:00:00Z');
      const q = await quote(client, 'family', 'month');
      expect(q).toMatchObject({ timing: 'on_payment', newPeriod: null, noRefund: false });
      expect(q.charge).toMatchObject({ currency, subtotal: upgrade, total: upgrade });
      expect(q.charge?.lines[0]?.description).toBe('Personal Pro to Family for the rest of this period (10 of 30 days)');
      const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'family', interval: 'month' } });
      if (r.status !== 'invoice_open') throw new Error(r.status);
      expect(r.invoice).toMatchObject({ currency, total: upgrade, periodEnd: '2026-05-01T00:00:00.000Z' });
    });

    it(`charges ${toYearly} for Pro monthly to yearly with 15 of 30 days left, starting a new year (${currency})`, async () => {
      const client = await subscriber(currency, 'month');
      clock.set('2026-04-16T00:00:00Z');
      const q = await quote(client, 'pro', 'year');
      expect(q.charge).toMatchObject({ currency, total: toYearly });
      expect(q.charge?.lines.map((l) => l.amount)).toEqual(currency === 'USD' ? [12000, -600] : [45000, -2250]);
      expect(q.newPeriod).toEqual({ start: '2026-04-16T00:00:00.000Z', end: '2027-04-16T00:00:00.000Z' });
    });

    it(`charges the yearly difference for Pro to Family yearly with 73 of 365 days left (${currency})`, async () => {
      const client = await subscriber(currency, 'year');
      clock.set('2027-01-18T00:00:00Z'); // 2027-04-01 is 73 days away
      const q = await quote(client, 'family', 'year');
      expect(q.charge?.total).toBe(currency === 'USD' ? 2400 : 8800);
    });

    it(`defers downgrades, yearly to monthly and cancellations to the end of the period with no refund (${currency})`, async () => {
      const yearly = await subscriber(currency, 'year');
      clock.set('2026-10-01T00:00:00Z');
      for (const q of [await quote(yearly, 'pro', 'month'), await yearly.ok(quoteBilling, { body: { action: 'cancel' } })]) {
        expect(q).toMatchObject({ timing: 'period_end', effectiveAt: '2027-04-01T00:00:00.000Z', charge: null, noRefund: true });
      }
      expect((await quote(yearly, 'family', 'month')).timing).toBe('period_end');
    });
  }
});
