import { signIn, switchSpace } from '@csme/contracts/accounts';
import { checkout, getBilling, listInvoices, openPortal, quoteBilling, syncBilling } from '@csme/contracts/billing';
import { getUsage } from '@csme/contracts/plans';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { longSessions, rows, setSetting } from '#test/billing.js';
import { FakeStripe } from '#test/fake-stripe.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { providerSetting, trialSetting } from './billing.config.js';
import { sweepBilling } from './billing.service.js';

// The Stripe path against a local stand-in for the Stripe API (node:http), with events signed by the
// official `stripe` package and processed by the real job worker.

const SECRET = 'whsec_test_billing_secret';
const clock = new ManualClock('2026-04-01T00:00:00Z');
let env: TestEnv;
let fake: FakeStripe;

beforeAll(async () => {
  fake = new FakeStripe(() => clock.now());
  const apiUrl = await fake.start();
  env = await createTestEnv({ clock });
  await longSessions(env);
  await setSetting(env, providerSetting, {
    provider: 'stripe',
    stripeSecretKey: 'sk_test_fake',
    stripeWebhookSecret: SECRET,
    stripeApiUrl: apiUrl,
  });
  await signedUpClient(await env.app(), { name: 'First Operator' });
  await env.worker();
});
afterAll(async () => {
  await env.close();
  await fake.stop();
});

async function post(payload: string, header?: string) {
  const app = await env.app();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/billing/stripe/webhook',
    headers: { 'content-type': 'application/json', ...(header ? { 'stripe-signature': header } : {}) },
    payload,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

/** Delivers a signed event and waits until the worker processed it. */
async function deliver(type: string, object: Record<string, unknown>, opts: { id?: string } = {}) {
  const e = fake.signedEvent(type, object, SECRET, opts);
  const r = await post(e.payload, e.header);
  expect(r.status).toBe(200);
  await processed(e.id);
  return e;
}

async function processed(eventId: string) {
  await eventually(async () => {
    const [row] = await rows<{ status: string }>(env, 'select status from billing_event where event_id = $1', [eventId]);
    return row && (row.status === 'processed' || row.status === 'ignored');
  }, `event ${eventId} processed`);
}

const lastSession = () => [...fake.sessions.values()].at(-1)!;

/** A person who bought Personal Pro through Stripe Checkout (the customer paid; Stripe told us). */
async function stripeSubscriber(interval: 'month' | 'year' = 'month', currency: 'USD' | 'ILS' = 'USD') {
  const person = await signedUpClient(await env.app(), { name: 'Card Holder' });
  const r = await person.client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval, currency } });
  expect(r.status).toBe('redirect');
  const done = fake.completeCheckout(lastSession().id);
  await deliver('checkout.session.completed', done.session);
  return { ...person, sub: done.subscription!, invoice: done.invoice! };
}

describe('Stripe Checkout and webhooks', () => {
  it('sends the person to Checkout, then starts Personal Pro when Stripe reports the payment', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app(), { name: 'Dana' });
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    if (r.status !== 'redirect') throw new Error(r.status);
    expect(r.url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);
    const [req] = fake.calls('POST', '/v1/checkout/sessions').slice(-1);
    expect(req!.idempotencyKey).toBeTruthy();
    expect(req!.body).toMatchObject({
      mode: 'subscription',
      client_reference_id: spaceId,
      line_items: [
        { price_data: { currency: 'usd', product: 'csme_plan_pro', unit_amount: '1200', recurring: { interval: 'month' } }, quantity: '1' },
      ],
      metadata: { csme_space_id: spaceId, csme_plan_id: 'pro', csme_kind: 'base', csme_interval: 'month' },
      subscription_data: { metadata: { csme_space_id: spaceId, csme_plan_id: 'pro' } },
    });
    expect(req!.body.success_url).toContain('/plans?checkout=success&session_id={CHECKOUT_SESSION_ID}');
    expect((await client.ok(getUsage)).plan.id).toBe('free');

    const done = fake.completeCheckout(lastSession().id);
    await deliver('checkout.session.completed', done.session);
    const usage = await client.ok(getUsage);
    expect(usage.plan.id).toBe('pro');
    const billing = await client.ok(getBilling);
    expect(billing.subscription).toMatchObject({
      provider: 'stripe',
      status: 'active',
      interval: 'month',
      periodEnd: '2026-05-01T00:00:00.000Z',
    });
    expect(billing.portal).toBe(true);

    await deliver('invoice.paid', done.invoice!);
    const invoices = await client.ok(listInvoices);
    expect(invoices.items).toHaveLength(1);
    expect(invoices.items[0]).toMatchObject({ status: 'paid', provider: 'stripe', kind: 'subscription', total: 1200, currency: 'USD' });
    expect(invoices.items[0]!.number).toMatch(/^CSME-2026-\d{6}$/);

    const portal = await client.ok(openPortal, { body: {} });
    expect(portal.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    expect(fake.calls('POST', '/v1/billing_portal/sessions').at(-1)!.body).toMatchObject({ customer: done.subscription!.customer });
    // Coming back from Checkout, the page can ask for the state at once; nothing is counted twice.
    const synced = await client.ok(syncBilling, { body: { sessionId: done.session.id } });
    expect(synced.subscription.planId).toBe('pro');
    expect((await client.ok(listInvoices)).items).toHaveLength(1);
  });

  it('refuses a webhook with a bad signature (400) and changes nothing', async () => {
    const e = fake.signedEvent('customer.subscription.updated', { id: 'sub_nope' }, SECRET);
    const before = await rows<{ n: number }>(env, 'select count(*)::int as n from billing_event');
    const cases: Array<[string, string | undefined]> = [
      [e.payload, undefined],
      [e.payload, fake.signedEvent('customer.subscription.updated', { id: 'sub_nope' }, 'whsec_other_endpoint').header],
      [e.payload.replace('sub_nope', 'sub_evil'), e.header],
      [JSON.stringify(JSON.parse(e.payload), null, 2), e.header],
      [e.payload, fake.signedEvent('x', {}, SECRET).header],
      [e.payload, 't=1,v1=deadbeef'],
      [e.payload, 'garbage'],
    ];
    const old = fake.signedEvent('customer.subscription.updated', { id: 'sub_nope' }, SECRET, {
      timestamp: Math.floor(clock.now().getTime() / 1000) - 301,
    });
    cases.push([old.payload, old.header]);
    for (const [i, [payload, header]] of cases.entries()) {
      const r = await post(payload, header);
      expect(r.status, `case ${i}`).toBe(400);
      expect(r.body.error.code).toBe('invalid_input');
    }
    expect(await rows(env, 'select count(*)::int as n from billing_event')).toEqual(before);
    // A secret being rotated: either one is accepted.
    await setSetting(env, providerSetting, {
      ...(await env.deps.settings.get(providerSetting)),
      stripeWebhookSecret: `whsec_new_one, ${SECRET}`,
    });
    try {
      expect((await post(e.payload, e.header)).status).toBe(200);
    } finally {
      await setSetting(env, providerSetting, { ...(await env.deps.settings.get(providerSetting)), stripeWebhookSecret: SECRET });
    }
  });

  it('has one effect when the same event arrives 20 times at once, and again later', async () => {
    clock.set('2026-04-05T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    const r = await client.ok(checkout, { body: { action: 'extra_runs' } });
    expect(r.status).toBe('redirect');
    expect(fake.calls('POST', '/v1/checkout/sessions').at(-1)!.body).toMatchObject({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'usd', product: 'csme_extra_runs', unit_amount: '500' }, quantity: '1' }],
      metadata: { csme_space_id: spaceId, csme_purchase: 'extra_runs', csme_runs: '1000' },
    });
    const { session } = fake.completeCheckout(lastSession().id);
    const e = fake.signedEvent('checkout.session.completed', session, SECRET);
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(e.payload, e.header)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    await processed(e.id);
    for (let i = 0; i < 3; i++) expect((await post(e.payload, e.header)).body).toEqual({ received: true, duplicate: true });
    // The same checkout reported under another event id (Stripe's async success): still once.
    await deliver('checkout.session.async_payment_succeeded', session);
    const runs = (await client.ok(getUsage)).meters.find((m) => m.key === 'runs');
    expect(runs).toMatchObject({ limit: 1300 });
    const invoices = await client.ok(listInvoices);
    expect(invoices.items.map((i) => [i.kind, i.status, i.total])).toEqual([['extra_runs', 'paid', 500]]);
    expect(await rows(env, 'select 1 from billing_event where event_id = $1', [e.id])).toHaveLength(1);
  });

  it('ends in the right state when events arrive out of order (updated before created, invoice before subscription)', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    const done = fake.completeCheckout(lastSession().id);
    const created = structuredClone(done.subscription!);
    // The person then set it to cancel in the portal; Stripe's events arrive newest first.
    done.subscription!.cancel_at_period_end = true;
    await deliver('invoice.paid', done.invoice!);
    await deliver('customer.subscription.updated', done.subscription!);
    await deliver('customer.subscription.created', created);
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ planId: 'pro', provider: 'stripe', status: 'active', cancelAtPeriodEnd: true });
    expect((await client.ok(listInvoices)).items.map((i) => i.total)).toEqual([1200]);
    await deliver('checkout.session.completed', done.session);
    expect((await client.ok(getBilling)).subscription.id).toBe(b.subscription.id);
  });
});

describe('trials at Stripe', () => {
  it('starts a trial through Checkout when an operator turned trials on, once per space', async () => {
    await setSetting(env, trialSetting, { enabled: true, days: 14 });
    try {
      clock.set('2026-04-01T00:00:00Z');
      const { client } = await signedUpClient(await env.app());
      const q = await client.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro' } });
      expect(q).toMatchObject({ timing: 'on_payment', trialDays: 14 });
      expect((await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro' } })).status).toBe('redirect');
      expect(fake.calls('POST', '/v1/checkout/sessions').at(-1)!.body.subscription_data).toMatchObject({ trial_period_days: '14' });
      const done = fake.completeCheckout(lastSession().id);
      await deliver('checkout.session.completed', done.session);
      const b = await client.ok(getBilling);
      expect(b.subscription).toMatchObject({ planId: 'pro', status: 'trialing', trialEnd: '2026-04-15T00:00:00.000Z' });
      expect(b.trial.available).toBe(false);
    } finally {
      await setSetting(env, trialSetting, { enabled: false, days: 14 });
    }
  });
});

describe('changing a Stripe subscription', () => {
  it('charges the prorated difference for Pro to Family (400 cents), then moves it to a new family space', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, spaceId, sub } = await stripeSubscriber();
    clock.set('2026-04-21T00:00:00Z');
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'family', interval: 'month' } });
    expect(r.status).toBe('applied');
    expect(fake.calls('POST', '/v1/invoiceitems').at(-1)!.body).toMatchObject({ amount: '400', currency: 'usd', subscription: sub.id });
    expect(fake.calls('POST', /^\/v1\/invoices\/in_\w+\/pay$/)).not.toHaveLength(0);
    const update = fake.calls('POST', `/v1/subscriptions/${sub.id}`).find((c) => c.body.items)!;
    expect(update.body).toMatchObject({
      proration_behavior: 'none',
      items: [{ price_data: { product: 'csme_plan_family', unit_amount: '2400', recurring: { interval: 'month' } } }],
      metadata: { csme_plan_id: 'family' },
    });
    expect((await client.ok(getUsage)).plan.id).toBe('free');
    const family = await rows<{ id: string }>(
      env,
      "select s.id from space s join space p on p.owner_account_id = s.owner_account_id where p.id = $1 and s.kind = 'family'",
      [spaceId],
    );
    expect(family).toHaveLength(1);
    expect(fake.subscriptions.get(sub.id)!.metadata.csme_space_id).toBe(family[0]!.id);
    // Stripe's own events about the change reconcile into the same family space.
    await deliver('customer.subscription.updated', fake.subscriptions.get(sub.id)!);
    expect(
      await rows(
        env,
        "select s.id from space s join space p on p.owner_account_id = s.owner_account_id where p.id = $1 and s.kind = 'family'",
        [spaceId],
      ),
    ).toHaveLength(1);
    await client.ok(switchSpace, { body: { spaceId: family[0]!.id } });
    expect((await client.ok(getBilling)).subscription).toMatchObject({
      planId: 'family',
      provider: 'stripe',
      periodEnd: '2026-05-01T00:00:00.000Z',
    });
  });

  it('moves monthly to yearly with the unused month credited and a new period from now', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, sub } = await stripeSubscriber('month', 'ILS');
    clock.set('2026-04-16T00:00:00Z');
    expect((await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'year' } })).status).toBe('applied');
    expect(fake.calls('POST', '/v1/invoiceitems').at(-1)!.body).toMatchObject({ amount: '-2250', currency: 'ils' });
    expect(fake.calls('POST', `/v1/subscriptions/${sub.id}`).at(-1)!.body).toMatchObject({
      billing_cycle_anchor: { type: 'now' },
      payment_behavior: 'error_if_incomplete',
      items: [{ price_data: { unit_amount: '45000', recurring: { interval: 'year' } } }],
    });
    expect((await client.ok(getBilling)).subscription).toMatchObject({
      interval: 'year',
      currency: 'ILS',
      periodStart: '2026-04-16T00:00:00.000Z',
      periodEnd: '2027-04-16T00:00:00.000Z',
    });
  });

  it('changes nothing when the card is declined for an upgrade', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, sub } = await stripeSubscriber();
    clock.set('2026-04-10T00:00:00Z');
    const updatesBefore = fake.calls('POST', `/v1/subscriptions/${sub.id}`).length;
    fake.declineCards = true;
    try {
      const r = await client.call(checkout, { body: { action: 'change_plan', planId: 'family', interval: 'month' } });
      expect(r.status).toBe(409);
      expect(r.error).toMatchObject({ code: 'conflict', details: { reason: 'payment_failed' } });
      const y = await client.call(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'year' } });
      expect(y.status).toBe(409);
    } finally {
      fake.declineCards = false;
    }
    expect(fake.calls('POST', `/v1/subscriptions/${sub.id}`).filter((c) => !c.body.payment_behavior)).toHaveLength(updatesBefore);
    expect((await client.ok(getBilling)).subscription).toMatchObject({ planId: 'pro', interval: 'month' });
    // The credit prepared for the failed move to yearly was taken back.
    expect([...fake.invoiceItems.values()].filter((i) => i.subscription === sub.id && !i.invoice)).toEqual([]);
  });

  it('cancels at the period end: Stripe ends it, and the space moves to Free', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, sub } = await stripeSubscriber();
    const r = await client.ok(checkout, { body: { action: 'cancel' } });
    expect(r).toMatchObject({ status: 'scheduled', effectiveAt: '2026-05-01T00:00:00.000Z' });
    expect(fake.subscriptions.get(sub.id)!.cancel_at_period_end).toBe(true);
    expect((await client.ok(checkout, { body: { action: 'resume' } })).status).toBe('applied');
    expect(fake.subscriptions.get(sub.id)!.cancel_at_period_end).toBe(false);
    await client.ok(checkout, { body: { action: 'cancel' } });
    clock.set('2026-05-01T00:00:00Z');
    const { subscription } = fake.renew(sub.id);
    await deliver('customer.subscription.deleted', subscription);
    expect((await client.ok(getUsage)).plan.id).toBe('free');
    await deliver('customer.subscription.deleted', subscription);
    expect((await client.ok(getUsage)).plan.id).toBe('free');
  });

  it('moves yearly to monthly when the year ends, on a new Stripe subscription started once', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, sub, email } = await stripeSubscriber('year');
    clock.set('2026-11-01T00:00:00Z');
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    expect(r).toMatchObject({ status: 'scheduled', effectiveAt: '2027-04-01T00:00:00.000Z' });
    expect(fake.subscriptions.get(sub.id)!).toMatchObject({
      cancel_at_period_end: true,
      metadata: { csme_next_plan_id: 'pro', csme_next_interval: 'month' },
    });
    clock.set('2027-04-01T00:00:00Z');
    const { subscription } = fake.renew(sub.id);
    await deliver('customer.subscription.deleted', subscription);
    await deliver('customer.subscription.deleted', subscription);
    const created = fake.calls('POST', '/v1/subscriptions');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({
      customer: sub.customer,
      items: [{ price_data: { unit_amount: '1200', recurring: { interval: 'month' } } }],
    });
    expect(created[0]!.idempotencyKey).toBe(`csme-successor-${sub.id}`);
    await client.ok(signIn, { body: { email, password: 'correct horse battery' } }); // a year passed: the session expired
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({
      planId: 'pro',
      interval: 'month',
      provider: 'stripe',
      status: 'active',
      periodEnd: '2027-05-01T00:00:00.000Z',
    });
  });

  it('marks a failed renewal past due with a notice, gives Free limits after the grace period, and restores them when Stripe collects', async () => {
    clock.set('2026-04-01T00:00:00Z');
    const { client, spaceId, sub } = await stripeSubscriber();
    clock.set('2026-05-01T00:00:00Z');
    const failed = fake.renew(sub.id, 'failed');
    await deliver('invoice.payment_failed', failed.invoice!);
    let b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({
      status: 'past_due',
      pastDueSince: '2026-05-01T00:00:00.000Z',
      graceEndsAt: '2026-05-08T00:00:00.000Z',
      restricted: false,
    });
    expect(await rows(env, "select 1 from notification where space_id = $1 and kind = 'billing.past_due'", [spaceId])).toHaveLength(1);
    await deliver('customer.subscription.updated', fake.subscriptions.get(sub.id)!);
    expect(await rows(env, "select 1 from notification where space_id = $1 and kind = 'billing.past_due'", [spaceId])).toHaveLength(1);
    clock.set('2026-05-08T00:00:00Z');
    await sweepBilling(systemCtx(env.deps));
    b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ planId: 'pro', status: 'past_due', restricted: true });
    expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(300);
    // Stripe retries the card and succeeds.
    const s = fake.subscriptions.get(sub.id)!;
    s.status = 'active';
    failed.invoice!.status = 'paid';
    failed.invoice!.amount_paid = failed.invoice!.total;
    failed.invoice!.status_transitions = { paid_at: Math.floor(clock.now().getTime() / 1000) };
    await deliver('invoice.paid', failed.invoice!);
    b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ status: 'active', restricted: false, pastDueSince: null });
    expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(5000);
    expect((await client.ok(listInvoices)).items.map((i) => [i.kind, i.status, i.total])).toEqual([['renewal', 'paid', 1200]]);
  });
});
