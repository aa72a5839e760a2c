import * as E from '@csme/contracts/expenses';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { familyOf, uploadFile } from '#test/apps.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { readReceipt } from './expenses/expenses.policy.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const RECEIPT = `Uber
Thanks for riding, Dana
Trip on March 9, 2026

Trip fare        $19.50
Booking fee       $2.40
Subtotal         $21.90
Tip               $1.50
Total            $23.40
Charged to Visa •••• 4242`;

describe('expenses', () => {
  it('reads receipts on local rules: the total (never the subtotal), currency, date, merchant and category', () => {
    expect(
      readReceipt({ text: RECEIPT, date: '2026-03-10T08:00:00Z', dates: [{ text: 'March 9, 2026', start: '2026-03-09' }] }),
    ).toMatchObject({
      isReceipt: true,
      amount: 2340,
      currency: 'USD',
      spentOn: '2026-03-09',
      merchant: 'Uber',
      category: 'travel',
    });
    expect(
      readReceipt({
        text: 'Your receipt from GitHub\nGitHub Pro (monthly)\nAmount paid: €4.00\nThank you!',
        subject: 'Your GitHub receipt',
        fromName: 'GitHub Billing',
        from: 'billing@github.com',
        date: '2026-03-01T10:00:00Z',
      }),
    ).toMatchObject({ amount: 400, currency: 'EUR', spentOn: '2026-03-01', merchant: 'GitHub', category: 'software' });
    expect(readReceipt({ text: 'קבלה\nקפה לנדוור\nסה"כ לתשלום: 38.50 ש"ח', date: '2026-03-02T10:00:00Z' })).toMatchObject({
      amount: 3850,
      currency: 'ILS',
      category: 'meals',
    });
    expect(readReceipt({ text: 'Hi Dana, lunch on Thursday? 🍕', date: null })).toMatchObject({ isReceipt: false, amount: null });
    expect(readReceipt({ text: 'x'.repeat(1_000_000) }).isReceipt).toBe(false);
  });

  it('adds expenses by hand and from an uploaded receipt once, exports CSV that opens back the same, 404 for another space', async () => {
    const app = await env.app();
    const a = await signedUpClient(app);
    const b = await signedUpClient(app);
    const manual = await a.client.ok(E.createExpense, {
      body: {
        spentOn: '2026-03-05',
        merchant: 'Café "Le Procope", Paris',
        amount: 1250,
        currency: 'EUR',
        note: 'Client lunch,\nwith Acme 🍷',
      },
    });
    expect(manual.category).toBe('meals');
    await a.client.ok(E.createExpense, {
      body: { spentOn: '2026-03-06', merchant: '=HYPERLINK("http://x")', amount: 100, currency: 'USD' },
    });
    await a.client.ok(E.createExpense, {
      body: { spentOn: '2026-03-07', merchant: 'חנות ספרים צומת', amount: 8990, currency: 'ILS', category: 'education' },
    });
    const file = await uploadFile(a.client, 'uber-receipt.txt', RECEIPT);
    const fromFile = await a.client.ok(E.expenseFromReceipt, { body: { fileId: file.id } });
    expect(fromFile).toMatchObject({
      merchant: 'Uber',
      amount: 2340,
      currency: 'USD',
      spentOn: '2026-03-09',
      category: 'travel',
      source: 'file',
    });
    const again = await a.client.ok(E.expenseFromReceipt, { body: { fileId: file.id } });
    expect(again.id).toBe(fromFile.id);
    const notReceipt = await uploadFile(a.client, 'note.txt', 'Remember to call mom.');
    expect((await a.client.call(E.expenseFromReceipt, { body: { fileId: notReceipt.id } })).status).toBe(400);

    const list = await a.client.ok(E.listExpenses, { query: { from: '2026-03-01', to: '2026-03-31' } });
    expect(list.items).toHaveLength(4);
    expect(list.totals).toEqual([
      { currency: 'EUR', amount: 1250, count: 1 },
      { currency: 'ILS', amount: 8990, count: 1 },
      { currency: 'USD', amount: 2440, count: 2 },
    ]);

    const res = await app.inject({
      url: `${E.exportExpensesCsv.path}?from=2026-03-01&to=2026-03-31`,
      headers: { cookie: a.client.cookie! },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('expenses-2026-03-01_to_2026-03-31.csv');
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes, { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows).toEqual([
      {
        date: '2026-03-05',
        merchant: 'Café "Le Procope", Paris',
        category: 'meals',
        amount: '12.50',
        currency: 'EUR',
        note: 'Client lunch,\nwith Acme 🍷',
        source: 'manual',
      },
      {
        date: '2026-03-06',
        merchant: `'=HYPERLINK("http://x")`,
        category: 'other',
        amount: '1.00',
        currency: 'USD',
        note: '',
        source: 'manual',
      },
      {
        date: '2026-03-07',
        merchant: 'חנות ספרים צומת',
        category: 'education',
        amount: '89.90',
        currency: 'ILS',
        note: '',
        source: 'manual',
      },
      { date: '2026-03-09', merchant: 'Uber', category: 'travel', amount: '23.40', currency: 'USD', note: '', source: 'file' },
    ]);

    expect((await b.client.ok(E.listExpenses)).items).toEqual([]);
    expect((await b.client.call(E.updateExpense, { params: { expenseId: manual.id }, body: { amount: 1 } })).status).toBe(404);
    expect((await b.client.call(E.deleteExpense, { params: { expenseId: manual.id } })).status).toBe(404);
    expect((await b.client.call(E.expenseFromReceipt, { body: { fileId: file.id } })).status).toBe(404);
    const bad = await a.client.call(E.createExpense, { body: { spentOn: '2026-02-31', merchant: 'x', amount: 1, currency: 'USD' } });
    expect(bad.status).toBe(400);
    const huge = await a.client.call(E.createExpense, {
      body: { spentOn: '2026-03-01', merchant: 'x'.repeat(1_000_000), amount: 1, currency: 'USD' },
    });
    expect(huge.status).toBe(400);
  });

  it('offers packs a pure receipt reader and an add action that records each receipt once', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const file = await uploadFile(client, 'receipt.txt', RECEIPT);
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
    const read = (await invokeSkill(findSkill(env.deps.modules, 'expenses.read-receipt')!, sctx, { fileId: file.id })) as Record<
      string,
      unknown
    >;
    expect(read).toMatchObject({ isReceipt: true, amount: 2340, label: 'Uber, $23.40 (travel), 2026-03-09', fileId: file.id });
    const add = findSkill(env.deps.modules, 'expenses.add')!;
    expect(add).toMatchObject({ kind: 'act', scopes: ['expenses:write'] });
    const input = { spentOn: '2026-03-09', merchant: 'Uber', amount: 2340, currency: 'USD', category: 'travel', fileId: file.id };
    const one = (await invokeSkill(add, { ...sctx, idempotencyKey: 'a' }, input)) as { expenseId: string };
    const two = (await invokeSkill(add, { ...sctx, idempotencyKey: 'b' }, input)) as { expenseId: string };
    expect(two.expenseId).toBe(one.expenseId);
  });

  it('in a family space: a child sees no expenses and cannot add one; private ones stay private', async () => {
    const { parent, other, kid } = await familyOf(env);
    const shared = await parent.client.ok(E.createExpense, {
      body: { spentOn: '2026-03-01', merchant: 'Groceries', amount: 5000, currency: 'USD' },
    });
    const mine = await parent.client.ok(E.createExpense, {
      body: { spentOn: '2026-03-01', merchant: 'Gift', amount: 3000, currency: 'USD', visibility: 'private' },
    });
    expect((await other.client.ok(E.listExpenses)).items.map((e) => e.id)).toEqual([shared.id]);
    expect((await other.client.call(E.deleteExpense, { params: { expenseId: mine.id } })).status).toBe(404);
    expect((await kid.client.ok(E.listExpenses)).items).toEqual([]);
    expect((await kid.client.call(E.updateExpense, { params: { expenseId: shared.id }, body: { amount: 1 } })).status).toBe(404);
    expect(
      (await kid.client.call(E.createExpense, { body: { spentOn: '2026-03-01', merchant: 'Candy', amount: 100, currency: 'USD' } })).status,
    ).toBe(403);
    const csv = await kid.client.app.inject({ url: E.exportExpensesCsv.path, headers: { cookie: kid.client.cookie! } });
    expect(csv.statusCode).toBe(403);
  });
});
