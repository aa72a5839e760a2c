import { adminPayInvoice } from '@csme/contracts/billing';
import * as M from '@csme/contracts/marketplace';
import { getInstallation } from '@csme/contracts/packs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { longSessions } from '#test/billing.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { creatorClient, publish, samplePack, setSettingByKey } from '#test/marketplace.js';

const clock = new ManualClock('2026-03-10T09:00:00Z');
let env: TestEnv;
let creator: Awaited<ReturnType<typeof creatorClient>>;
let operator: TestClient;

beforeAll(async () => {
  env = await createTestEnv({ clock });
  await longSessions(env);
  creator = await creatorClient(env);
  operator = creator.operator;
  await setSettingByKey(env, 'billing.taxes', { rates: { IL: 1800 } });
  await publish(creator.client, operator, samplePack({ id: 'paid-focus', name: 'Paid focus' }));
  await creator.client.ok(M.updateListing, {
    params: { packId: 'paid-focus' },
    body: {
      title: 'Paid focus',
      tagline: 'Three tasks a day.',
      descriptionMd: '# Focus',
      categories: ['productivity'],
      priceModel: 'one_off',
      priceUsd: 1200,
      priceIls: 4500,
    },
  });
});
afterAll(() => env.close());

const ledger = () => env.deps.db.selectFrom('ledger_entry').selectAll().orderBy('created_at').execute();

describe('buying a paid pack offline', () => {
  let buyer: Awaited<ReturnType<typeof signedUpClient>>;
  let saleId: string;
  let installationId: string;

  it('cannot be installed before it is bought; the purchase opens an invoice with tax', async () => {
    buyer = await signedUpClient(await env.app(), { name: 'Boaz Buyer' });
    const before = await buyer.client.ok(M.getListing, { params: { packId: 'paid-focus' } });
    expect(before.mine).toMatchObject({ purchase: null, mayInstall: false });
    const refused = await buyer.client.call(M.installListing, {
      params: { packId: 'paid-focus' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toBe('Buy this pack first.');
    const r = await buyer.client.ok(M.purchaseListing, { params: { packId: 'paid-focus' }, body: { currency: 'USD', country: 'IL' } });
    expect(r.status).toBe('invoice_open');
    if (r.status !== 'invoice_open') return;
    expect(r.invoice.total).toBe(1416);
    expect(r.purchase.status).toBe('pending');
    const again = await buyer.client.call(M.purchaseListing, { params: { packId: 'paid-focus' }, body: { currency: 'USD' } });
    expect(again.status).toBe(409);
    // The operator marks the invoice paid: one sale in the ledger, split 70/30 net of tax.
    await operator.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    expect((await operator.call(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} })).status).toBe(409);
    const entries = await ledger();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'sale', gross: 1416, tax: 216, creator_amount: 840, platform_amount: 360, currency: 'USD' });
    saleId = entries[0]!.id;
    const after = await buyer.client.ok(M.getListing, { params: { packId: 'paid-focus' } });
    expect(after.mine).toMatchObject({ purchase: { status: 'active' }, mayInstall: true });
    const inst = await buyer.client.ok(M.installListing, {
      params: { packId: 'paid-focus' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    installationId = inst.id;
    expect((await buyer.client.ok(M.listPurchases)).items).toMatchObject([{ packId: 'paid-focus', status: 'active', amount: 1200 }]);
  });

  it('shows the creator the sale and the 70% exactly, never who bought', async () => {
    const e = await creator.client.ok(M.getEarnings);
    expect(e.entries).toMatchObject([{ kind: 'sale', gross: 1416, tax: 216, creator: 840, platform: 360 }]);
    expect(e.totals).toEqual([{ currency: 'USD', gross: 1416, creator: 840, unpaid: 840, paid: 0 }]);
    const text = JSON.stringify(e);
    expect(text).not.toContain(buyer.email);
    expect(text).not.toContain(buyer.spaceId);
    expect(text).not.toContain('Boaz');
    const a = await creator.client.ok(M.getAnalytics, { params: { packId: 'paid-focus' }, query: {} });
    expect(a.revenueByDay).toEqual([{ day: '2026-03-10', currency: 'USD', gross: 1416, creator: 840, refunds: 0 }]);
    expect(JSON.stringify(a)).not.toContain(buyer.spaceId);
  });

  it('refunds in part and in full, reversing both shares in proportion; a refund of a refund is refused', async () => {
    const part = await operator.ok(M.adminRefund, { params: { entryId: saleId }, body: { amount: 708, reason: 'half' } });
    expect(part.refunded).toBe(708);
    const refundRow = (await ledger()).find((x) => x.kind === 'refund')!;
    expect(refundRow).toMatchObject({ gross: -708, tax: -108, creator_amount: -420, platform_amount: -180 });
    const rr = await operator.call(M.adminRefund, { params: { entryId: refundRow.id }, body: {} });
    expect(rr.status).toBe(409);
    expect(rr.error?.details).toMatchObject({ reason: 'refund_of_refund' });
    expect(rr.error?.message).toContain('a refund cannot be refunded');
    const over = await operator.call(M.adminRefund, { params: { entryId: saleId }, body: { amount: 709 } });
    expect(over.status).toBe(400);
    const rest = await operator.ok(M.adminRefund, { params: { entryId: saleId }, body: { reason: 'the rest' } });
    expect(rest.refunded).toBe(1416);
    const sums = (await ledger()).reduce(
      (s, x) => ({
        gross: s.gross + x.gross,
        tax: s.tax + x.tax,
        creator: s.creator + x.creator_amount,
        platform: s.platform + x.platform_amount,
      }),
      { gross: 0, tax: 0, creator: 0, platform: 0 },
    );
    expect(sums).toEqual({ gross: 0, tax: 0, creator: 0, platform: 0 });
    expect((await operator.call(M.adminRefund, { params: { entryId: saleId }, body: {} })).status).toBe(409);
    // Refunded in full: the purchase ends and the installation pauses (nothing is deleted).
    expect((await buyer.client.ok(M.listPurchases)).items[0]!.status).toBe('refunded');
    expect((await buyer.client.ok(getInstallation, { params: { installationId } })).status).toBe('paused');
  });

  it('pays creators monthly from the ledger into a CSV report an operator marks paid, never twice', async () => {
    const buyer2 = await signedUpClient(await env.app(), { name: 'Second Buyer' });
    const r = await buyer2.client.ok(M.purchaseListing, { params: { packId: 'paid-focus' }, body: { currency: 'ILS' } });
    if (r.status !== 'invoice_open') throw new Error('expected an invoice');
    await operator.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    const early = await operator.call(M.adminRunPayouts, { body: { period: '2026-03' } });
    expect(early.status).toBe(409);
    clock.set('2026-04-02T03:00:00Z');
    const run = await operator.ok(M.adminRunPayouts, { body: { period: '2026-03' } });
    // USD: 840 - 420 - 420 = 0 (nothing to pay); ILS: 70% of 4500 = 3150.
    expect(run.items).toMatchObject([{ currency: 'ILS', amount: 3150, entryCount: 1, status: 'pending', creator: 'Carmela Creator' }]);
    const again = await operator.ok(M.adminRunPayouts, { body: { period: '2026-03' } });
    expect(again.items).toHaveLength(1);
    const app = await env.app();
    const csv = await app.inject({
      method: 'GET',
      url: '/api/v1/admin/marketplace/payouts.csv?period=2026-03',
      headers: { cookie: operator.cookie! },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'payout_id,period,creator,email,payout_method,payout_details,currency,amount,amount_minor,entries,status,paid_at,reference',
    );
    expect(lines[1]).toContain(',2026-03,Carmela Creator,');
    expect(lines[1]).toContain(',paypal,carmela@paypal.example,ILS,31.50,3150,1,pending,,');
    // Creators cannot read the report.
    const denied = await app.inject({
      method: 'GET',
      url: '/api/v1/admin/marketplace/payouts.csv?period=2026-03',
      headers: { cookie: creator.client.cookie! },
    });
    expect(denied.statusCode).toBe(403);
    const paid = await operator.ok(M.adminMarkPayoutPaid, { params: { payoutId: run.items[0]!.id }, body: { reference: 'TRX-1' } });
    expect(paid).toMatchObject({ status: 'paid', reference: 'TRX-1' });
    expect((await operator.call(M.adminMarkPayoutPaid, { params: { payoutId: run.items[0]!.id }, body: {} })).status).toBe(409);
    const e = await creator.client.ok(M.getEarnings);
    expect(e.payouts).toMatchObject([{ period: '2026-03', currency: 'ILS', amount: 3150, status: 'paid' }]);
    expect(e.totals.find((t) => t.currency === 'ILS')).toMatchObject({ creator: 3150, paid: 3150, unpaid: 0 });
  });

  it('keeps an unpublished pack for those who have it, and stops new purchases', async () => {
    await publish(creator.client, operator, samplePack({ id: 'free-focus', name: 'Free focus' }));
    const keeper = await signedUpClient(await env.app(), { name: 'Keeper' });
    const inst = await keeper.client.ok(M.installListing, {
      params: { packId: 'free-focus' },
      body: { grantedScopes: ['tasks:read', 'notify'] },
    });
    await creator.client.ok(M.setListingStatus, { params: { packId: 'free-focus' }, body: { status: 'unlisted' } });
    expect((await keeper.client.ok(M.listListings, { query: {} })).items.map((i) => i.packId)).not.toContain('free-focus');
    expect((await keeper.client.ok(getInstallation, { params: { installationId: inst.id } })).status).toBe('active');
    expect((await keeper.client.ok(M.getListing, { params: { packId: 'free-focus' } })).status).toBe('unlisted');
    const newcomer = await signedUpClient(await env.app(), { name: 'Newcomer' });
    expect((await newcomer.client.call(M.getListing, { params: { packId: 'free-focus' } })).status).toBe(404);
    expect(
      (
        await newcomer.client.call(M.installListing, {
          params: { packId: 'free-focus' },
          body: { grantedScopes: ['tasks:read', 'notify'] },
        })
      ).status,
    ).toBe(404);
  });
});
