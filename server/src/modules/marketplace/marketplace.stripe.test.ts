import * as M from '@csme/contracts/marketplace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { longSessions, rows } from '#test/billing.js';
import { FakeStripe } from '#test/fake-stripe.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { creatorClient, publish, samplePack, setSettingByKey } from '#test/marketplace.js';

const SECRET = 'whsec_test_marketplace_secret';
const clock = new ManualClock('2026-04-01T00:00:00Z');
let env: TestEnv;
let fake: FakeStripe;

beforeAll(async () => {
  fake = new FakeStripe(() => clock.now());
  const apiUrl = await fake.start();
  env = await createTestEnv({ clock });
  await longSessions(env);
  const creator = await creatorClient(env);
  await publish(creator.client, creator.operator, samplePack({ id: 'card-pack', name: 'Card pack' }));
  await creator.client.ok(M.updateListing, {
    params: { packId: 'card-pack' },
    body: { title: 'Card pack', priceModel: 'one_off', priceUsd: 999, priceIls: 3500 },
  });
  await setSettingByKey(env, 'billing.provider', {
    provider: 'stripe',
    stripeSecretKey: 'sk_test_fake',
    stripeWebhookSecret: SECRET,
    stripeApiUrl: apiUrl,
  });
  await env.worker();
});
afterAll(async () => {
  await env.close();
  await fake.stop();
});

async function deliver(type: string, object: Record<string, unknown>) {
  const e = fake.signedEvent(type, object, SECRET);
  const app = await env.app();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/billing/stripe/webhook',
    headers: { 'content-type': 'application/json', 'stripe-signature': e.header },
    payload: e.payload,
  });
  expect(res.statusCode).toBe(200);
  await eventually(async () => {
    const [row] = await rows<{ status: string }>(env, 'select status from billing_event where event_id = $1', [e.id]);
    return row && row.status === 'processed';
  }, `event ${e.id} processed`);
}

describe('buying a pack by card', () => {
  it('records one sale when Stripe reports the payment twice, and refunds through Stripe', async () => {
    const buyer = await signedUpClient(await env.app(), { name: 'Card Buyer' });
    const r = await buyer.client.ok(M.purchaseListing, { params: { packId: 'card-pack' }, body: { currency: 'USD' } });
    expect(r.status).toBe('redirect');
    const session = [...fake.sessions.values()].at(-1)!;
    expect(session.metadata).toMatchObject({ csme_purchase: 'sale', csme_module: 'marketplace', csme_ref: r.purchase.id });
    const done = fake.completeCheckout(session.id);
    // The same payment, delivered twice (two events, as Stripe retries do) and once more at once.
    await deliver('checkout.session.completed', done.session);
    await deliver('checkout.session.completed', done.session);
    await Promise.all([
      deliver('checkout.session.async_payment_succeeded', done.session),
      deliver('checkout.session.completed', done.session),
    ]);
    const sales = await env.deps.db.selectFrom('ledger_entry').selectAll().execute();
    expect(sales).toHaveLength(1);
    expect(sales[0]).toMatchObject({ kind: 'sale', gross: 999, tax: 0, creator_amount: 699, platform_amount: 300, provider: 'stripe' });
    const invoices = await rows<{ n: number }>(env, "select count(*)::int as n from invoice where kind = 'sale'");
    expect(invoices[0]!.n).toBe(1);
    expect((await buyer.client.ok(M.listPurchases)).items[0]!.status).toBe('active');

    const operator = (await import('#test/billing.js')).operatorClient;
    const op = await operator(env);
    await op.ok(M.adminRefund, { params: { entryId: sales[0]!.id }, body: { amount: 500, reason: 'partly unhappy' } });
    expect(fake.refunds).toMatchObject([{ amount: 500, payment_intent: done.session.payment_intent }]);
    const refund = await env.deps.db.selectFrom('ledger_entry').selectAll().where('kind', '=', 'refund').executeTakeFirstOrThrow();
    expect(refund).toMatchObject({ gross: -500, creator_amount: -350, platform_amount: -150, provider_ref: fake.refunds[0]!.id });
  });
});
