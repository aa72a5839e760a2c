import { switchSpace } from '@csme/contracts/accounts';
import {
  adminListInvoices,
  adminMigratePlan,
  adminPayInvoice,
  checkout,
  getBilling,
  getInvoice,
  getInvoicePdf,
  listInvoices,
  openPortal,
  quoteBilling,
  stripeWebhook,
  syncBilling,
} from '@csme/contracts/billing';
import { fillPath } from '@csme/contracts/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#core/ids.js';
import { operatorClient } from '#test/billing.js';
import { createTestEnv, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
  // The first account of an instance is its operator: these tests are about people.
  await signedUpClient(await env.app(), { name: 'First Operator' });
});
afterAll(() => env.close());

describe('billing routes', () => {
  it('answers 401 without a session, and 403 on operator routes for people', async () => {
    const anon = new TestClient(await env.app());
    for (const ep of [getBilling, listInvoices]) expect((await anon.call(ep)).status).toBe(401);
    expect((await anon.call(quoteBilling, { body: { action: 'cancel' } })).status).toBe(401);
    const { client } = await signedUpClient(await env.app());
    expect((await client.call(adminListInvoices)).status).toBe(403);
    expect((await client.call(adminPayInvoice, { params: { invoiceId: newId() }, body: {} })).status).toBe(403);
    expect((await client.call(adminMigratePlan, { params: { planId: 'pro' }, body: {} })).status).toBe(403);
  });

  it('refuses bad input with 400 in the one error shape, never 500', async () => {
    const { client } = await signedUpClient(await env.app());
    const bad: unknown[] = [
      {},
      { action: 'buy_everything' },
      { action: 'change_plan', planId: 'pro', interval: 'week' },
      { action: 'change_plan', planId: 'PRO!' },
      { action: 'change_plan', planId: 'pro', currency: 'EUR' },
      { action: 'change_plan', planId: 'pro', country: 'ISR' },
      { action: 'change_plan', planId: 'pro', extra: 1 },
      { action: 'extra_runs', packs: 0 },
      { action: 'extra_runs', packs: 1.5 },
      { action: 'extra_runs', packs: '1' },
      { action: 'addon', interval: 'decade' },
      { action: 'cancel', planId: 'free' },
      [],
      null,
    ];
    for (const body of bad) {
      for (const ep of [quoteBilling, checkout]) {
        const r = await client.call(ep, { body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.error?.code).toBe('invalid_input');
      }
    }
    // Unknown plans are a clear 400 too.
    const unknown = await client.call(checkout, { body: { action: 'change_plan', planId: 'gold' } });
    expect(unknown).toMatchObject({ status: 400, error: { code: 'invalid_input', message: 'There is no plan "gold".' } });
    expect((await client.call(checkout, { body: { action: 'change_plan', planId: 'creator' } })).status).toBe(400);
    // Malformed ids and queries.
    const app = await env.app();
    for (const url of [
      '/api/v1/billing/invoices/not-a-uuid',
      '/api/v1/billing/invoices/not-a-uuid/pdf',
      `/api/v1/billing/invoices/${newId()}/pdf?document=contract`,
      '/api/v1/billing/invoices?limit=0',
      '/api/v1/billing/invoices?limit=1000',
      '/api/v1/billing/invoices?cursor=x',
      '/api/v1/billing/invoices?surprise=1',
    ]) {
      const r = await app.inject({ method: 'GET', url, headers: { cookie: client.cookie! } });
      expect(r.statusCode, url).toBe(400);
      expect(JSON.parse(r.body).error.code).toBe('invalid_input');
    }
    const raw = await app.inject({
      method: 'POST',
      url: '/api/v1/billing/checkout',
      headers: { cookie: client.cookie!, 'x-csrf-token': client.csrf!, 'content-type': 'application/json' },
      payload: '{"action": "change_plan", "planId": ',
    });
    expect(raw.statusCode).toBe(400);
  });

  it('hides another space’s invoices (404) and offers the portal only with a card on file', async () => {
    const { client: alice } = await signedUpClient(await env.app());
    const { client: bob } = await signedUpClient(await env.app());
    const r = await alice.ok(checkout, { body: { action: 'extra_runs' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    expect((await alice.ok(getInvoice, { params: { invoiceId: r.invoice.id } })).id).toBe(r.invoice.id);
    expect((await bob.call(getInvoice, { params: { invoiceId: r.invoice.id } })).status).toBe(404);
    expect((await bob.call(getInvoicePdf, { params: { invoiceId: r.invoice.id }, query: { document: 'invoice' } })).status).toBe(404);
    expect((await bob.ok(listInvoices)).items).toEqual([]);
    expect((await bob.call(getInvoice, { params: { invoiceId: newId() } })).status).toBe(404);
    expect((await alice.call(openPortal, { body: {} })).status).toBe(409);
    // Stripe is not configured: syncing a checkout is refused plainly, not with a 500.
    expect((await alice.call(syncBilling, { body: { sessionId: 'cs_test_123' } })).status).toBe(503);
  });

  it('lets only the owner of a family space manage billing (adults and children get 403)', async () => {
    const { client: owner, spaceId: ownerSpace } = await signedUpClient(await env.app(), { name: 'Owner' });
    const r = await owner.ok(checkout, { body: { action: 'change_plan', planId: 'family' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    const op = await operatorClient(env);
    await op.ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    const family = await env.deps.pool.query(
      "select s.id from space s join space p on p.owner_account_id = s.owner_account_id where p.id = $1 and s.kind = 'family'",
      [ownerSpace],
    );
    const familyId = family.rows[0].id as string;
    for (const role of ['adult', 'child'] as const) {
      const { client, accountId } = await signedUpClient(await env.app(), { name: role });
      await env.deps.pool.query('insert into membership (id, space_id, account_id, role) values ($1, $2, $3, $4)', [
        newId(),
        familyId,
        accountId,
        role,
      ]);
      await client.ok(switchSpace, { body: { spaceId: familyId } });
      expect((await client.call(getBilling)).status).toBe(403);
      expect((await client.call(listInvoices)).status).toBe(403);
      expect((await client.call(quoteBilling, { body: { action: 'cancel' } })).status).toBe(403);
      expect((await client.call(checkout, { body: { action: 'cancel' } })).status).toBe(403);
      expect((await client.call(checkout, { body: { action: 'extra_runs' } })).status).toBe(403);
      expect((await client.call(openPortal, { body: {} })).status).toBe(403);
    }
    await owner.ok(switchSpace, { body: { spaceId: familyId } });
    expect((await owner.ok(getBilling)).subscription.planId).toBe('family');
  });

  it('documents every billing route in the OpenAPI document', async () => {
    const app = await env.app();
    const r = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(r.statusCode).toBe(200);
    const paths = Object.keys(JSON.parse(r.body).paths);
    for (const p of [
      '/api/v1/billing',
      '/api/v1/billing/quote',
      '/api/v1/billing/checkout',
      '/api/v1/billing/invoices',
      '/api/v1/billing/invoices/{invoiceId}/pdf',
      '/api/v1/billing/stripe/webhook',
      '/api/v1/admin/billing/invoices/{invoiceId}/pay',
      '/api/v1/admin/plans/{planId}/migrate',
    ])
      expect(paths).toContain(p);
  });

  it('refuses a Stripe webhook when no signing secret is configured, and changes nothing', async () => {
    const app = await env.app();
    const r = await app.inject({
      method: 'POST',
      url: fillPath(stripeWebhook.path, {}),
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' },
      payload: JSON.stringify({ id: 'evt_1', type: 'invoice.paid', data: { object: { id: 'in_1' } } }),
    });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe('invalid_input');
    expect((await env.deps.pool.query('select count(*)::int as n from billing_event')).rows[0].n).toBe(0);
  });
});
