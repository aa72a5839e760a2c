import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { signIn, switchSpace } from '@csme/contracts/accounts';
import {
  adminCreatePlanVersion,
  adminListInvoices,
  adminMigratePlan,
  adminPayInvoice,
  checkout,
  getBilling,
  getInvoice,
  listInvoices,
  quoteBilling,
} from '@csme/contracts/billing';
import { installPack, listInstallations } from '@csme/contracts/packs';
import { getUsage, listPlans } from '@csme/contracts/plans';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { fromSources, generateKeysFile, keysAsEnv } from '#core/keys.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { buyOffline, longSessions, operatorClient, rows, setSetting } from '#test/billing.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { extraRunsSetting, pastDueSetting, taxSetting, trialSetting } from './billing.config.js';
import { sweepBilling } from './billing.service.js';

const clock = new ManualClock('2026-04-01T00:00:00Z');
const keysFile = generateKeysFile();
let env: TestEnv;
let operator: { client: TestClient; at: number } | null = null;
/** An operator client signed in within the last months of the test clock (sessions expire). */
async function opc(): Promise<TestClient> {
  if (!operator || Math.abs(clock.now().getTime() - operator.at) > 200 * 86_400_000)
    operator = { client: await operatorClient(env), at: clock.now().getTime() };
  return operator.client;
}
/** Signs the person in again after the clock jumped past their session. */
async function signInAgain(client: TestClient, email: string): Promise<void> {
  await client.ok(signIn, { body: { email, password: 'correct horse battery' } });
}

/** Five small packs of two agents each (one on a schedule), so plan changes have real packs to pause and bring back. */
const PACK_IDS = ['pack-one', 'pack-two', 'pack-three', 'pack-four', 'pack-five'];
function writePacks(dir: string) {
  for (const id of PACK_IDS) {
    mkdirSync(join(dir, id));
    writeFileSync(
      join(dir, id, 'pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id,
        version: '1.0.0',
        platform: '>=1.0.0',
        name: `Pack ${id.slice(5)}`,
        description: 'A digest of open tasks.',
        persona: 'anyone',
        icon: '📋',
        scopes: ['tasks:read'],
        agents: ['morning', 'evening'].map((when, i) => ({
          id: when,
          name: `${when} digest`,
          description: 'Lists open tasks.',
          triggers: i === 0 ? [{ type: 'schedule', cron: '0 8 * * *' }] : [{ type: 'manual' }],
          steps: [{ id: 'digest', skill: 'tasks.digest', input: { tasks: [] } }],
        })),
      }),
    );
  }
}

async function installAll(client: TestClient): Promise<void> {
  for (const packId of PACK_IDS)
    await client.ok(installPack, { params: { packId }, body: { settings: {}, grantedScopes: ['tasks:read'] } });
}

/** What the person sees of their packs and agents: which are running, which the plan paused. */
async function packState(client: TestClient) {
  const items = (await client.ok(listInstallations, {})).items;
  return {
    active: items.filter((i) => i.status === 'active').length,
    pausedByPlan: items.filter((i) => i.status === 'paused' && i.pausedReason === 'plan_limit').length,
    agentsOn: items.filter((i) => i.status === 'active').flatMap((i) => i.agents.filter((a) => a.enabled)).length,
  };
}

beforeAll(async () => {
  env = await createTestEnv({ clock, keys: fromSources({}, keysFile) });
  const dir = mkdtempSync(join(tmpdir(), 'csme-billing-packs-'));
  writePacks(dir);
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  // Years pass in these tests: sessions last the longest an operator can set (and people sign in again).
  await longSessions(env);
});
afterAll(() => env.close());

const sweep = () => sweepBilling(systemCtx(env.deps));
const at = (iso: string) => clock.set(iso);

async function pdfText(client: TestClient, url: string): Promise<{ status: number; type: string; text: string }> {
  const res = await client.app.inject({ method: 'GET', url, headers: { cookie: client.cookie! } });
  if (res.statusCode !== 200) return { status: res.statusCode, type: String(res.headers['content-type']), text: res.body };
  const doc = await getDocumentProxy(new Uint8Array(res.rawPayload));
  const { text } = await extractText(doc, { mergePages: true });
  return { status: 200, type: String(res.headers['content-type']), text };
}

describe('buying a plan offline', () => {
  it('upgrades Free to Personal Pro: checkout opens an invoice, an operator marks it paid, the new limits apply at once', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, spaceId, email } = await signedUpClient(await env.app(), { name: 'Dana Levi' });
    const q = await client.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    expect(q).toMatchObject({ timing: 'on_payment', to: { planId: 'pro', interval: 'month' }, noRefund: false });
    expect(q.charge).toMatchObject({ currency: 'USD', subtotal: 1200, tax: 0, total: 1200 });

    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    expect(r.invoice).toMatchObject({ status: 'open', kind: 'subscription', total: 1200, buyerName: 'Dana Levi', buyerEmail: email });
    expect(r.invoice.number).toMatch(/^CSME-2026-\d{6}$/);
    // Nothing changes until it is paid.
    expect((await client.ok(getUsage)).plan.id).toBe('free');
    expect((await client.ok(getBilling)).openInvoices.map((i) => i.id)).toEqual([r.invoice.id]);

    const open = await (await opc()).ok(adminListInvoices, { query: { status: 'open' } });
    expect(open.items.find((i) => i.id === r.invoice.id)).toMatchObject({ spaceId, spaceName: 'Dana Levi' });
    clock.advance(3_600_000);
    const paid = await (await opc()).ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    expect(paid.status).toBe('paid');

    const usage = await client.ok(getUsage);
    expect(usage.plan.id).toBe('pro');
    expect(usage.limits).toMatchObject({ packs: 5, agents: 15, runsPerMonth: 5000, connectors: 'all' });
    const billing = await client.ok(getBilling);
    expect(billing.subscription).toMatchObject({ planId: 'pro', status: 'active', interval: 'month', currency: 'USD', price: 1200 });
    expect(billing.subscription.periodEnd).toBe('2026-05-01T01:00:00.000Z');
    expect(billing.nextInvoice).toMatchObject({ date: '2026-05-01T01:00:00.000Z', total: 1200, description: 'Personal Pro, monthly' });
    expect(billing.openInvoices).toEqual([]);

    // The person is told, in the app and by email.
    const notes = await rows<{ kind: string; title: string }>(env, 'select kind, title from notification where space_id = $1', [spaceId]);
    expect(notes).toContainEqual({ kind: 'billing.payment_received', title: `Payment received: invoice ${r.invoice.number}` });
    const mails = await rows<{ subject: string }>(env, 'select subject from email_outbox where to_address = $1', [email]);
    expect(mails.map((m) => m.subject)).toContain(`Payment received: invoice ${r.invoice.number}`);

    // Invoices list, PDF invoice and receipt.
    const list = await client.ok(listInvoices);
    expect(list.items[0]).toMatchObject({ id: r.invoice.id, status: 'paid' });
    const receipt = await pdfText(client, list.items[0]!.receiptUrl!);
    expect(receipt.type).toBe('application/pdf');
    expect(receipt.text).toContain(`Receipt ${r.invoice.number}`);
    expect(receipt.text).toContain('$12.00');
    expect(receipt.text).toContain('Dana Levi');
    const activity = await rows<{ kind: string }>(env, 'select kind from activity where space_id = $1 order by seq', [spaceId]);
    expect(activity.map((a) => a.kind)).toEqual(expect.arrayContaining(['billing.invoice_issued', 'billing.invoice_paid']));

    // Paying twice does nothing more.
    const again = await (await opc()).call(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    expect(again.status).toBe(409);
  });

  it('replaces an open invoice with the newer checkout, and voids nothing it should keep', async () => {
    const { client } = await signedUpClient(await env.app());
    const a = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    const b = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'year' } });
    if (a.status !== 'invoice_open' || b.status !== 'invoice_open') throw new Error('expected invoices');
    expect(b.invoice.total).toBe(12000);
    expect((await client.ok(getInvoice, { params: { invoiceId: a.invoice.id } })).status).toBe('void');
    expect((await (await opc()).call(adminPayInvoice, { params: { invoiceId: a.invoice.id }, body: {} })).status).toBe(409);
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: b.invoice.id }, body: {} });
    expect((await client.ok(getBilling)).subscription).toMatchObject({ planId: 'pro', interval: 'year', price: 12000 });
  });

  it('starts a free trial when an operator turned trials on, and invoices when it ends', async () => {
    await setSetting(env, trialSetting, { enabled: true, days: 14 });
    try {
      at('2026-06-10T12:00:00Z');
      const { client } = await signedUpClient(await env.app());
      expect((await client.ok(getBilling)).trial).toEqual({ enabled: true, days: 14, available: true });
      const q = await client.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro' } });
      expect(q).toMatchObject({ timing: 'now', trialDays: 14, charge: null });
      const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro' } });
      expect(r.status).toBe('applied');
      const b = await client.ok(getBilling);
      expect(b.subscription).toMatchObject({ planId: 'pro', status: 'trialing', trialEnd: '2026-06-24T12:00:00.000Z' });
      expect(b.trial.available).toBe(false);
      expect(b.nextInvoice).toMatchObject({ date: '2026-06-24T12:00:00.000Z', total: 1200 });
      expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(5000);
      at('2026-06-24T12:00:01Z');
      await sweep();
      const after = await client.ok(getBilling);
      expect(after.subscription).toMatchObject({
        status: 'past_due',
        periodStart: '2026-06-24T12:00:00.000Z',
        periodEnd: '2026-07-24T12:00:00.000Z',
      });
      expect(after.openInvoices).toHaveLength(1);
      expect(after.openInvoices[0]).toMatchObject({ kind: 'renewal', total: 1200 });
      await (await opc()).ok(adminPayInvoice, { params: { invoiceId: after.openInvoices[0]!.id }, body: {} });
      expect((await client.ok(getBilling)).subscription.status).toBe('active');
      expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(5000);
    } finally {
      await setSetting(env, trialSetting, { enabled: false, days: 14 });
    }
  });
});

describe('changing and cancelling', () => {
  it('summarises a downgrade to Free (what is paused, when, no refund) and applies it at the end of the period', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    await installAll(client);
    expect(await packState(client)).toEqual({ active: 5, pausedByPlan: 0, agentsOn: 10 });
    at('2026-04-20T00:00:00Z');
    const q = await client.ok(quoteBilling, { body: { action: 'cancel' } });
    expect(q).toMatchObject({
      action: 'cancel',
      timing: 'period_end',
      effectiveAt: '2026-05-01T00:00:00.000Z',
      noRefund: true,
      charge: null,
      to: { planId: 'free' },
      overLimit: [{ key: 'packs', used: 5, limit: 1, pause: 4 }],
    });
    expect(q.summary).toContain('4 of your 5 packs will be paused');
    const r = await client.ok(checkout, { body: { action: 'cancel' } });
    expect(r).toMatchObject({ status: 'scheduled', effectiveAt: '2026-05-01T00:00:00.000Z' });
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({
      planId: 'pro',
      cancelAtPeriodEnd: true,
      scheduledChange: { kind: 'cancel', effectiveAt: '2026-05-01T00:00:00.000Z' },
    });
    expect(b.nextInvoice).toBeNull();
    // Still Pro until the end of the period.
    at('2026-04-30T23:59:59Z');
    await sweep();
    expect((await client.ok(getUsage)).plan.id).toBe('pro');
    at('2026-05-01T00:00:00Z');
    await sweep();
    expect((await client.ok(getUsage)).plan.id).toBe('free');
    // The oldest pack keeps running with both its agents; the others wait, paused, with nothing lost.
    expect(await packState(client)).toEqual({ active: 1, pausedByPlan: 4, agentsOn: 2 });
    const notes = await rows<{ kind: string; url: string }>(
      env,
      "select kind, url from notification where space_id = $1 and kind = 'billing.plan_changed'",
      [spaceId],
    );
    expect(notes).toEqual([{ kind: 'billing.plan_changed', url: '/packs' }]);
    // No invoice was opened for a period that was cancelled.
    expect((await client.ok(getBilling)).openInvoices).toEqual([]);
  });

  it('undoes a scheduled cancellation with resume, and then renews with an invoice', async () => {
    at('2026-04-01T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    await client.ok(checkout, { body: { action: 'cancel' } });
    expect((await client.ok(checkout, { body: { action: 'resume' } })).status).toBe('applied');
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ cancelAtPeriodEnd: false, scheduledChange: null });
    expect((await client.call(checkout, { body: { action: 'resume' } })).status).toBe(409);
    at('2026-05-01T00:00:01Z');
    await sweep();
    const after = await client.ok(getBilling);
    expect(after.subscription).toMatchObject({ planId: 'pro', status: 'past_due' });
    expect(after.openInvoices.map((i) => [i.kind, i.total])).toEqual([['renewal', 1200]]);
  });

  it('moves yearly to monthly at the end of the year, invoicing the monthly price then', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, email } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'year', currency: 'ILS' });
    at('2026-09-01T00:00:00Z');
    const q = await client.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    expect(q).toMatchObject({ timing: 'period_end', effectiveAt: '2027-04-01T00:00:00.000Z', noRefund: true, charge: null });
    await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    expect((await client.ok(getBilling)).nextInvoice).toMatchObject({
      date: '2027-04-01T00:00:00.000Z',
      total: 4500,
      currency: 'ILS',
      description: 'Personal Pro, monthly',
    });
    at('2027-04-01T00:00:00Z');
    await sweep();
    await signInAgain(client, email);
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({
      planId: 'pro',
      interval: 'month',
      currency: 'ILS',
      status: 'past_due',
      periodEnd: '2027-05-01T00:00:00.000Z',
    });
    expect(b.openInvoices.map((i) => [i.kind, i.total, i.currency])).toEqual([['renewal', 4500, 'ILS']]);
  });

  it('moves Personal Pro to Family with the prorated difference: a new family space, the personal space back to Free', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app(), { name: 'Noa' });
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    at('2026-04-21T00:00:00Z'); // 10 of 30 days left
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'family', interval: 'month' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    expect(r.quote).toMatchObject({ createsFamilySpace: true, personalSpaceToFree: true, timing: 'on_payment' });
    expect(r.invoice).toMatchObject({ kind: 'change', subtotal: 400, total: 400 });
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    expect((await client.ok(getUsage)).plan.id).toBe('free');
    const session = await client.ok(switchSpace, { body: { spaceId: await familyOf(spaceId) } });
    expect(session.activeSpace).toMatchObject({ kind: 'family', planId: 'family', name: "Noa's family" });
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ planId: 'family', interval: 'month', periodEnd: '2026-05-01T00:00:00.000Z', price: 2400 });

    // Family back to Personal Pro: at the end of the period, into the personal space.
    const q = await client.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    expect(q).toMatchObject({ timing: 'period_end', effectiveAt: '2026-05-01T00:00:00.000Z', noRefund: true });
    expect(q.summary).toContain('in your personal space');
    await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'month' } });
    at('2026-05-01T00:00:00Z');
    await sweep();
    expect((await client.ok(getBilling)).subscription.planId).toBe('free');
    await client.ok(switchSpace, { body: { spaceId } });
    const personal = await client.ok(getBilling);
    expect(personal.subscription).toMatchObject({ planId: 'pro', interval: 'month', status: 'past_due' });
    expect(personal.openInvoices.map((i) => i.total)).toEqual([1200]);
  });

  it('keeps Personal Pro out of family spaces and Family out of a space that has it', async () => {
    at('2026-04-01T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    const same = await client.call(checkout, { body: { action: 'change_plan', planId: 'free' } });
    expect(same.status).toBe(409);
    expect((await client.call(checkout, { body: { action: 'cancel' } })).status).toBe(409);
  });
});

async function familyOf(personalSpaceId: string): Promise<string> {
  const [r] = await rows<{ id: string }>(
    env,
    "select s.id from space s join space p on p.owner_account_id = s.owner_account_id where p.id = $1 and s.kind = 'family' order by s.created_at desc limit 1",
    [personalSpaceId],
  );
  return r!.id;
}

describe('past due', () => {
  it('keeps the plan through the grace period, then gives Free limits (nothing lost), and restores them when paid', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    await installAll(client);
    at('2026-05-01T00:00:05Z');
    await sweep();
    const b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({
      status: 'past_due',
      pastDueSince: '2026-05-01T00:00:00.000Z',
      graceEndsAt: '2026-05-08T00:00:00.000Z',
      restricted: false,
    });
    expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(5000);
    const notes = await rows<{ kind: string }>(env, "select kind from notification where space_id = $1 and kind like 'billing.%'", [
      spaceId,
    ]);
    expect(notes.map((n) => n.kind)).toContain('billing.invoice_open');

    at('2026-05-07T23:59:59Z');
    await sweep();
    expect((await client.ok(getBilling)).subscription.restricted).toBe(false);
    at('2026-05-08T00:00:00Z');
    await sweep();
    const r = await client.ok(getBilling);
    expect(r.subscription).toMatchObject({ planId: 'pro', status: 'past_due', restricted: true });
    expect((await client.ok(getUsage)).limits).toMatchObject({ runsPerMonth: 300, packs: 1, agents: 3 });
    expect(await packState(client)).toEqual({ active: 1, pausedByPlan: 4, agentsOn: 2 });
    // The next sweep does not restrict or notify again.
    await sweep();
    expect(await rows(env, "select 1 from notification where space_id = $1 and kind = 'billing.restricted'", [spaceId])).toHaveLength(1);

    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: r.openInvoices[0]!.id }, body: {} });
    expect((await client.ok(getBilling)).subscription).toMatchObject({ status: 'active', restricted: false, pastDueSince: null });
    expect((await client.ok(getUsage)).limits.runsPerMonth).toBe(5000);
    // Paid: what the restriction paused comes back by itself, schedules included.
    expect(await packState(client)).toEqual({ active: 5, pausedByPlan: 0, agentsOn: 10 });
    const scheduled = await rows<{ next_run_at: Date | null }>(
      env,
      "select next_run_at from agent where space_id = $1 and agent_key = 'morning'",
      [spaceId],
    );
    expect(scheduled.map((a) => a.next_run_at !== null)).toEqual([true, true, true, true, true]);
  });

  it('honours the operator grace period setting', async () => {
    await setSetting(env, pastDueSetting, { graceDays: 2 });
    try {
      at('2026-04-01T00:00:00Z');
      const { client } = await signedUpClient(await env.app());
      await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
      at('2026-05-03T00:00:00Z');
      await sweep(); // renews (past due since May 1) and, two days on, restricts
      expect((await client.ok(getBilling)).subscription).toMatchObject({ graceEndsAt: '2026-05-03T00:00:00.000Z', restricted: true });
    } finally {
      await setSetting(env, pastDueSetting, { graceDays: 7 });
    }
  });
});

describe('add-ons', () => {
  it('sells the Creator add-on on its own interval, moves it to yearly with a credit, and cancels it at its period end', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, email } = await signedUpClient(await env.app());
    const r = await client.ok(checkout, { body: { action: 'addon', interval: 'month' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    expect(r.invoice).toMatchObject({ kind: 'addon', total: 1000 });
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    expect((await client.ok(getUsage)).limits.publish).toBe(true);
    expect((await client.ok(getBilling)).addons).toMatchObject([{ planId: 'creator', interval: 'month', price: 1000, status: 'active' }]);

    at('2026-04-16T00:00:00Z'); // 15 of 30 days left
    const y = await client.ok(checkout, { body: { action: 'addon', interval: 'year' } });
    if (y.status !== 'invoice_open') throw new Error(y.status);
    expect(y.invoice.lines).toEqual([
      { description: 'Creator add-on, yearly', amount: 10000 },
      { description: 'Unused part of this month of the Creator add-on', amount: -500 },
    ]);
    expect(y.invoice.total).toBe(9500);
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: y.invoice.id }, body: {} });
    const addon = (await client.ok(getBilling)).addons[0]!;
    expect(addon).toMatchObject({ interval: 'year', periodStart: '2026-04-16T00:00:00.000Z', periodEnd: '2027-04-16T00:00:00.000Z' });

    const c = await client.ok(checkout, { body: { action: 'addon_cancel' } });
    expect(c).toMatchObject({ status: 'scheduled', effectiveAt: '2027-04-16T00:00:00.000Z' });
    at('2027-04-16T00:00:00Z');
    await sweep();
    await signInAgain(client, email);
    expect((await client.ok(getBilling)).addons).toEqual([]);
    expect((await client.ok(getUsage)).limits.publish).toBe(false);
  });

  it('sells extra runs for the current quota month only', async () => {
    at('2026-04-10T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    const q = await client.ok(quoteBilling, { body: { action: 'extra_runs' } });
    expect(q).toMatchObject({ timing: 'on_payment', extraRuns: { runs: 1000, validUntil: '2026-05-01T00:00:00.000Z' } });
    expect(q.charge).toMatchObject({ total: 500, currency: 'USD' });
    const ils = await client.ok(quoteBilling, { body: { action: 'extra_runs', packs: 2, currency: 'ILS' } });
    expect(ils.charge).toMatchObject({ total: 3800, currency: 'ILS' });
    expect(ils.extraRuns?.runs).toBe(2000);
    const r = await client.ok(checkout, { body: { action: 'extra_runs' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} });
    const meter = async () => (await client.ok(getUsage)).meters.find((m) => m.key === 'runs')!;
    expect(await meter()).toMatchObject({ used: 0, limit: 1300 });
    at('2026-05-01T00:00:00Z');
    expect(await meter()).toMatchObject({ used: 0, limit: 300 });
  });

  it('uses the operator pack size and price for extra runs', async () => {
    await setSetting(env, extraRunsSetting, { runs: 500, prices: { USD: 300, ILS: 1100 } });
    try {
      const { client } = await signedUpClient(await env.app());
      const q = await client.ok(quoteBilling, { body: { action: 'extra_runs', packs: 3 } });
      expect(q.extraRuns?.runs).toBe(1500);
      expect(q.charge?.total).toBe(900);
    } finally {
      await setSetting(env, extraRunsSetting, { runs: 1000, prices: { USD: 500, ILS: 1900 } });
    }
  });
});

describe('invoices', () => {
  it('shows the tax rate of the billing country on the invoice and its PDF, in shekels', async () => {
    await setSetting(env, taxSetting, { rates: { IL: 1800 } });
    try {
      at('2026-04-01T00:00:00Z');
      const { client } = await signedUpClient(await env.app(), { name: 'נועה כהן' });
      const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', currency: 'ILS', country: 'il' } });
      if (r.status !== 'invoice_open') throw new Error(r.status);
      expect(r.invoice).toMatchObject({ currency: 'ILS', country: 'IL', subtotal: 4500, taxBasisPoints: 1800, tax: 810, total: 5310 });
      const pdf = await pdfText(client, r.invoice.pdfUrl);
      expect(pdf.text).toContain(`Invoice ${r.invoice.number}`);
      expect(pdf.text).toContain('₪');
      expect(pdf.text).toContain('Tax (18%, IL)');
      expect((await pdfText(client, r.invoice.receiptUrl ?? `${r.invoice.pdfUrl.split('?')[0]}?document=receipt`)).status).toBe(409);
      // The country is remembered for the next purchase.
      expect((await client.ok(getBilling)).profile).toEqual({ country: 'IL', currency: 'ILS' });
    } finally {
      await setSetting(env, taxSetting, { rates: {} });
    }
  });

  it('numbers invoices without gaps across spaces, and keeps them by law', async () => {
    const { client: a } = await signedUpClient(await env.app());
    const { client: b } = await signedUpClient(await env.app());
    const ra = await a.ok(checkout, { body: { action: 'extra_runs' } });
    const rb = await b.ok(checkout, { body: { action: 'extra_runs' } });
    if (ra.status !== 'invoice_open' || rb.status !== 'invoice_open') throw new Error('expected invoices');
    const n = (s: string) => Number(s.split('-').at(-1));
    expect(n(rb.invoice.number)).toBe(n(ra.invoice.number) + 1);
    const [kept] = await rows<{ kept_by_law: boolean; retain_until: Date }>(
      env,
      'select kept_by_law, retain_until from invoice where id = $1',
      [ra.invoice.id],
    );
    expect(kept!.kept_by_law).toBe(true);
    expect(kept!.retain_until.getUTCFullYear()).toBe(clock.now().getUTCFullYear() + 7);
  });

  it('voids an upgrade invoice whose period ended before it was paid', async () => {
    at('2026-04-01T00:00:00Z');
    const { client } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    at('2026-04-21T00:00:00Z');
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro', interval: 'year' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    expect(r.invoice.total).toBe(12000 - 400);
    at('2026-05-01T00:00:00Z');
    await sweep();
    expect((await client.ok(getInvoice, { params: { invoiceId: r.invoice.id } })).status).toBe('void');
    expect((await (await opc()).call(adminPayInvoice, { params: { invoiceId: r.invoice.id }, body: {} })).status).toBe(409);
  });

  it('lets an operator mark an invoice paid from the command line', async () => {
    const { client } = await signedUpClient(await env.app());
    const r = await client.ok(checkout, { body: { action: 'change_plan', planId: 'pro' } });
    if (r.status !== 'invoice_open') throw new Error(r.status);
    const root = resolve(import.meta.dirname, '../../../..');
    const keyEnv = Object.fromEntries(
      keysAsEnv(keysFile)
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [resolve(root, 'server/bin/csme.js'), ...args], {
        cwd: root,
        env: { ...process.env, ...keyEnv, DATABASE_URL: env.databaseUrl, CSME_DATA_DIR: env.dataDir, LOG_LEVEL: 'warn' },
      });
    const listed = await run(['admin', 'invoice', 'list', '--status', 'open']);
    expect(listed.stdout).toContain(r.invoice.number);
    const paid = await run(['admin', 'invoice', 'pay', r.invoice.number]);
    expect(paid.stdout).toContain(`Invoice ${r.invoice.number} is paid (12.00 USD).`);
    expect((await client.ok(getUsage)).plan.id).toBe('pro');
    const again = await run(['admin', 'invoice', 'pay', r.invoice.number]).catch((e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 1 });
    expect((again as { stderr: string }).stderr).toContain('is paid already');
  }, 60_000);
});

describe('plan versions', () => {
  it('keeps subscribers on the version they bought, and migrates them at a renewal after the notice', async () => {
    at('2026-04-01T00:00:00Z');
    const { client, spaceId } = await signedUpClient(await env.app());
    await buyOffline(client, await opc(), { planId: 'pro', interval: 'month' });
    const v2 = await (await opc()).ok(adminCreatePlanVersion, {
      params: { planId: 'pro' },
      body: {
        note: 'New price from June',
        prices: [
          { currency: 'USD', interval: 'month', amount: 1500 },
          { currency: 'USD', interval: 'year', amount: 15000 },
          { currency: 'ILS', interval: 'month', amount: 5500 },
          { currency: 'ILS', interval: 'year', amount: 55000 },
        ],
      },
    });
    expect(v2).toMatchObject({ id: 'pro', version: 2, subscribers: 0 });
    const catalog = await client.ok(listPlans);
    expect(catalog.plans.find((p) => p.id === 'pro')?.prices).toContainEqual({ currency: 'USD', interval: 'month', amount: 1500 });
    // A new buyer pays the new price; this subscriber keeps theirs.
    const { client: newcomer } = await signedUpClient(await env.app());
    expect((await newcomer.ok(quoteBilling, { body: { action: 'change_plan', planId: 'pro' } })).charge?.total).toBe(1500);
    at('2026-05-01T00:00:00Z');
    await sweep();
    let b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ planVersion: 1, price: 1200 });
    expect(b.openInvoices[0]?.total).toBe(1200);
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: b.openInvoices[0]!.id }, body: {} });

    at('2026-05-10T00:00:00Z');
    const m = await (await opc()).ok(adminMigratePlan, { params: { planId: 'pro' }, body: { noticeDays: 30 } });
    expect(m.scheduled).toBeGreaterThanOrEqual(1);
    b = await client.ok(getBilling);
    expect(b.subscription.scheduledChange).toMatchObject({ kind: 'version_migration', effectiveAt: '2026-07-01T00:00:00.000Z' });
    const notice = await rows<{ title: string; body: string }>(
      env,
      "select title, body from notification where space_id = $1 and kind = 'billing.plan_terms_changing'",
      [spaceId],
    );
    expect(notice[0]?.title).toBe('Personal Pro changes on 2026-07-01');
    expect(notice[0]?.body).toContain('$15.00 monthly');
    at('2026-06-01T00:00:00Z');
    await sweep();
    b = await client.ok(getBilling);
    expect(b.openInvoices[0]?.total).toBe(1200);
    await (await opc()).ok(adminPayInvoice, { params: { invoiceId: b.openInvoices[0]!.id }, body: {} });
    at('2026-07-01T00:00:00Z');
    await sweep();
    b = await client.ok(getBilling);
    expect(b.subscription).toMatchObject({ planVersion: 2, price: 1500, scheduledChange: null });
    expect(b.openInvoices[0]?.total).toBe(1500);
  });

  it('refuses a version without changes, with duplicate prices, or for an unknown plan', async () => {
    expect((await (await opc()).call(adminCreatePlanVersion, { params: { planId: 'pro' }, body: { note: 'nothing' } })).status).toBe(400);
    const dup = await (await opc()).call(adminCreatePlanVersion, {
      params: { planId: 'pro' },
      body: {
        note: 'x',
        prices: [
          { currency: 'USD', interval: 'month', amount: 1 },
          { currency: 'USD', interval: 'month', amount: 2 },
        ],
      },
    });
    expect(dup.status).toBe(400);
    expect(
      (await (await opc()).call(adminCreatePlanVersion, { params: { planId: 'gold' }, body: { note: 'x', limits: { packs: 2 } } })).status,
    ).toBe(404);
    const { client } = await signedUpClient(await env.app());
    expect(
      (await client.call(adminCreatePlanVersion, { params: { planId: 'pro' }, body: { note: 'x', limits: { packs: 2 } } })).status,
    ).toBe(403);
  });
});
