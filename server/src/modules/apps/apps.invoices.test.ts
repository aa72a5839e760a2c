import { switchSpace } from '@csme/contracts/accounts';
import * as C from '@csme/contracts/connectors';
import * as I from '@csme/contracts/invoices';
import { ImapFlow } from 'imapflow';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { newId } from '#core/ids.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { createFamily } from '#modules/admin/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { addTestMailUser } from '#test/services/services.js';
import { renderInvoicePdf } from './invoices/invoices.pdf.js';
import { markOverdueInvoices } from './invoices/invoices.service.js';

let env: TestEnv;
const svc = () => inject('services');

const design = { description: 'Design', quantity: '1.5', unitPrice: 8000 };

async function pdfText(bytes: Buffer): Promise<string> {
  const r = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
  return Array.isArray(r.text) ? r.text.join('\n') : r.text;
}

beforeAll(async () => {
  env = await createTestEnv();
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port: svc().imap.port },
        { host: '127.0.0.1', port: svc().smtp.port },
      ],
    },
    null,
  );
});
afterAll(() => env.close());

describe('invoices', () => {
  it('creates a draft with exact totals, changes it, and answers 404 for another space', async () => {
    const app = await env.app();
    const a = await signedUpClient(app, { name: 'Ada Freelancer' });
    const b = await signedUpClient(app, { name: 'Bob' });
    const inv = await a.client.ok(I.createClientInvoice, {
      body: {
        clientName: 'Acme ☕ Ltd',
        clientEmail: 'billing@acme.test',
        currency: 'usd',
        lines: [design, { description: 'Rounding check', quantity: '1.005', unitPrice: 1000 }],
        taxRate: 17,
        discountRate: 10,
      },
    });
    // 1.5 × 80.00 = 120.00; 1.005 × 10.00 = 10.05 (exactly, not 10.04); discount 10% of 130.05 = 13.01 (13.005 rounds away from zero)
    expect(inv.lines.map((l) => l.amount)).toEqual([12000, 1005]);
    expect(inv).toMatchObject({ status: 'draft', number: null, reference: null, currency: 'USD', subtotal: 13005, discount: 1301 });
    expect(inv.tax).toBe(Math.round(((13005 - 1301) * 17) / 100));
    expect(inv.total).toBe(13005 - 1301 + inv.tax);
    const changed = await a.client.ok(I.updateClientInvoice, { params: { invoiceId: inv.id }, body: { taxRate: 0, discountRate: 0 } });
    expect(changed.total).toBe(13005);

    for (const r of [
      await b.client.call(I.getClientInvoice, { params: { invoiceId: inv.id } }),
      await b.client.call(I.getClientInvoicePdf, { params: { invoiceId: inv.id } }),
      await b.client.call(I.sendClientInvoice, { params: { invoiceId: inv.id }, body: {} }),
      await b.client.call(I.updateClientInvoice, { params: { invoiceId: inv.id }, body: { notes: 'x' } }),
      await b.client.call(I.deleteClientInvoice, { params: { invoiceId: inv.id } }),
    ])
      expect(r.status).toBe(404);
    expect((await b.client.ok(I.listClientInvoices)).items).toEqual([]);
  });

  it('refuses bad input with a clear 400 and keeps other languages and emoji as typed', async () => {
    const { client } = await signedUpClient(await env.app());
    const huge = await client.call(I.createClientInvoice, {
      body: { clientName: 'x'.repeat(1_000_000), lines: [design] },
    });
    expect(huge.status).toBe(400);
    const noLines = await client.call(I.createClientInvoice, { body: { clientName: 'Acme', lines: [] } });
    expect(noLines.status).toBe(400);
    expect(JSON.stringify(noLines.error)).toContain('add at least one line');
    const badQty = await client.call(I.createClientInvoice, { body: { clientName: 'Acme', lines: [{ ...design, quantity: '-1' }] } });
    expect(badQty.status).toBe(400);
    const badCurrency = await client.call(I.createClientInvoice, { body: { clientName: 'Acme', currency: 'XYZW', lines: [design] } });
    expect(badCurrency.status).toBe(400);
    const he = await client.ok(I.createClientInvoice, {
      body: {
        clientName: 'שלום כהן 🎨',
        currency: 'ILS',
        language: 'he',
        lines: [{ description: 'עיצוב לוגו 🖌️', quantity: 2, unitPrice: 45000 }],
      },
    });
    expect(he.clientName).toBe('שלום כהן 🎨');
    expect(he.lines[0]!.description).toBe('עיצוב לוגו 🖌️');
    expect(he.total).toBe(90000);
    const vague = await client.call(I.draftInvoiceFromText, { body: { text: 'some work for a friend' } });
    expect(vague.status).toBe(400);
    expect(vague.error?.message).toMatch(/No price was found/);
  });

  it('creates a draft from a plain description, with the due date from dates.extract', async () => {
    const { client } = await signedUpClient(await env.app());
    const inv = await client.ok(I.draftInvoiceFromText, { body: { text: '2 hours of design for Acme at $80/h, due in 14 days' } });
    expect(inv).toMatchObject({ clientName: 'Acme', currency: 'USD', total: 16000, dueDate: '2026-03-24', status: 'draft' });
    expect(inv.lines).toEqual([{ description: 'Design (hours)', quantity: '2', unitPrice: 8000, amount: 16000 }]);
  });

  it('numbers issued invoices per space without gaps or repeats, also when 20 are issued at once', async () => {
    const app = await env.app();
    const a = await signedUpClient(app);
    const b = await signedUpClient(app);
    const drafts = await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.client.ok(I.createClientInvoice, { body: { clientName: `Client ${i}`, lines: [design] } })),
    );
    const gone = await a.client.ok(I.createClientInvoice, { body: { clientName: 'Deleted', lines: [design] } });
    await a.client.ok(I.deleteClientInvoice, { params: { invoiceId: gone.id } });
    const issued = await Promise.all(drafts.map((d) => a.client.ok(I.issueClientInvoice, { params: { invoiceId: d.id } })));
    expect(issued.map((i) => i.number).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(issued.every((i) => i.status === 'sent' && i.issueDate === '2026-03-10' && i.dueDate === '2026-03-24')).toBe(true);
    // Another space counts from 1; an issued invoice keeps its number and cannot be deleted or changed.
    const other = await b.client.ok(I.createClientInvoice, { body: { clientName: 'Acme', lines: [design] } });
    expect((await b.client.ok(I.issueClientInvoice, { params: { invoiceId: other.id } })).reference).toBe('INV-0001');
    expect((await a.client.call(I.deleteClientInvoice, { params: { invoiceId: drafts[0]!.id } })).status).toBe(409);
    expect((await a.client.call(I.updateClientInvoice, { params: { invoiceId: drafts[0]!.id }, body: { notes: 'x' } })).status).toBe(409);
    const paid = await a.client.ok(I.markClientInvoicePaid, { params: { invoiceId: drafts[0]!.id } });
    expect(paid.status).toBe('paid');
  });

  it('prints a Hebrew invoice right to left, and its text comes back in reading order', async () => {
    const pdf = await renderInvoicePdf({
      reference: 'INV-0007',
      status: 'sent',
      language: 'he',
      seller: { name: 'סטודיו דנה', details: 'רחוב הרצל 12, תל אביב', email: '' },
      client: { name: 'שלום כהן', email: 'shalom@example.test', details: '' },
      currency: 'ILS',
      lines: [
        { description: 'עיצוב לוגו לחברה', quantity: '2', unitPrice: 45000, amount: 90000 },
        { description: 'אתר עבור Acme בעברית', quantity: '1.5', unitPrice: 10000, amount: 15000 },
      ],
      taxRate: 17,
      discountRate: 0,
      subtotal: 105000,
      discount: 0,
      tax: 17850,
      total: 122850,
      issueDate: '2026-03-10',
      dueDate: '2026-03-24',
      notes: 'תודה רבה על העבודה המשותפת',
    });
    const text = await pdfText(pdf);
    const lines = text.split('\n').map((l) => l.trim());
    const expected = [
      'חשבונית INV-0007',
      'סטודיו דנה',
      'רחוב הרצל 12, תל אביב',
      'שלום כהן',
      'תאריך הפקה: 2026-03-10',
      'לתשלום עד: 2026-03-24',
      'עיצוב לוגו לחברה',
      'אתר עבור Acme בעברית',
      'תודה רבה על העבודה המשותפת',
    ];
    for (const e of expected)
      expect(
        lines.some((l) => l.includes(e)),
        `"${e}" in\n${text}`,
      ).toBe(true);
    // In reading order: the title first, the lines before the total, the notes last.
    const at = (s: string) => text.indexOf(s);
    expect(at('חשבונית INV-0007')).toBeLessThan(at('עיצוב לוגו לחברה'));
    expect(at('עיצוב לוגו לחברה')).toBeLessThan(at('אתר עבור Acme'));
    expect(at('אתר עבור Acme')).toBeLessThan(at('סה"כ לתשלום'));
    expect(at('סה"כ לתשלום')).toBeLessThan(at('תודה רבה'));
    expect(text).toContain('₪1,228.50');
    // Right-aligned: the title's text starts near the right margin.
    expect(text).not.toContain('תינובשח');
  });

  it('sends the invoice with its PDF through the email connector once, however often it is asked', async () => {
    const seller = { user: `seller${Date.now().toString(36)}@example.test`, password: 'seller-pw-1' };
    const buyer = { user: `buyer${Date.now().toString(36)}@example.test`, password: 'buyer-pw-1' };
    addTestMailUser(svc(), seller.user, seller.password);
    addTestMailUser(svc(), buyer.user, buyer.password);
    const imap = async (m: { user: string; password: string }) => {
      const c = new ImapFlow({
        host: svc().imap.host,
        port: svc().imap.port,
        secure: false,
        auth: { user: m.user, pass: m.password },
        logger: false,
      });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    };
    await eventually(
      async () => {
        try {
          await (await imap(buyer)).logout();
          return true;
        } catch {
          return false;
        }
      },
      'Dovecot to know the mailboxes',
      30_000,
      200,
    );
    const { client } = await signedUpClient(await env.app(), { name: 'Dana Designer' });
    await client.ok(C.createConnector, {
      body: {
        kind: 'email',
        name: 'Studio mail',
        visibility: 'private',
        imap: { host: svc().imap.host, port: svc().imap.port, tls: 'none' },
        smtp: { host: svc().smtp.host, port: svc().smtp.port, tls: 'none' },
        username: seller.user,
        password: seller.password,
      },
    });
    await client.ok(I.updateInvoiceProfile, {
      body: {
        businessName: 'Dana Design Studio',
        details: '12 Herzl St',
        email: seller.user,
        currency: 'USD',
        taxRate: 0,
        paymentDays: 30,
        language: 'en',
      },
    });
    const inv = await client.ok(I.createClientInvoice, { body: { clientName: 'Acme', clientEmail: buyer.user, lines: [design] } });
    expect(inv.sellerName).toBe('Dana Design Studio');
    const [first, second] = await Promise.all([
      client.ok(I.sendClientInvoice, { params: { invoiceId: inv.id }, body: {} }),
      client.ok(I.sendClientInvoice, { params: { invoiceId: inv.id }, body: {} }),
    ]);
    expect(first.status).toBe('sent');
    expect(first.reference).toBe('INV-0001');
    expect(second.reference).toBe('INV-0001');
    expect(first.sentTo).toBe(buyer.user);
    expect(first.dueDate).toBe('2026-04-09');
    await client.ok(I.sendClientInvoice, { params: { invoiceId: inv.id }, body: {} });
    const box = await imap(buyer);
    const got = await eventually(async () => {
      const lock = await box.getMailboxLock('INBOX');
      try {
        const uids = (await box.search({ subject: 'Invoice INV-0001' }, { uid: true })) || [];
        return uids.length ? uids : undefined;
      } finally {
        lock.release();
      }
    }, 'the invoice in the client inbox');
    // Give a duplicate every chance to arrive before counting.
    await new Promise((r) => setTimeout(r, 500));
    const lock = await box.getMailboxLock('INBOX');
    try {
      const uids = (await box.search({ subject: 'Invoice INV-0001' }, { uid: true })) || [];
      expect(uids).toHaveLength(1);
      const msg = await box.fetchOne(String(got[0]), { bodyStructure: true, source: true }, { uid: true });
      const src = msg ? (msg.source?.toString() ?? '') : ''; // fetchOne answers false when the message is gone
      expect(src).toContain('application/pdf');
      expect(src).toContain('INV-0001.pdf');
      expect(src).toContain('Please find attached invoice INV-0001 for $120.00');
    } finally {
      lock.release();
      await box.logout();
    }
  });

  it('turns a sent invoice overdue the day after its due date in the owner’s time zone, once, raising invoice.overdue', async () => {
    const { client, spaceId } = await signedUpClient(await env.app());
    const inv = await client.ok(I.createClientInvoice, { body: { clientName: 'Late Payer', lines: [design], dueDate: '2026-03-12' } });
    await client.ok(I.issueClientInvoice, { params: { invoiceId: inv.id } });
    const clock = env.clock as ManualClock;
    const ctx = systemCtx(env.deps);
    try {
      clock.set('2026-03-12T23:00:00Z');
      await markOverdueInvoices(ctx);
      expect((await client.ok(I.getClientInvoice, { params: { invoiceId: inv.id } })).status).toBe('sent');
      clock.set('2026-03-13T01:00:00Z');
      await markOverdueInvoices(ctx);
      await markOverdueInvoices(ctx);
      expect((await client.ok(I.getClientInvoice, { params: { invoiceId: inv.id } })).status).toBe('overdue');
      const events = await env.deps.db
        .selectFrom('agent_event')
        .selectAll()
        .where('space_id', '=', spaceId)
        .where('type', '=', 'invoice.overdue')
        .execute();
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ invoiceId: inv.id, reference: 'INV-0001', dueDate: '2026-03-12' });
    } finally {
      clock.set('2026-03-10T09:00:00Z');
    }
  });

  it('in a family space: adults share or keep invoices private; a child sees none and cannot make one', async () => {
    const app = await env.app();
    const parent = await signedUpClient(app, { name: 'Parent' });
    const other = await signedUpClient(app, { name: 'Other adult' });
    const kid = await signedUpClient(app, { name: 'Kid' });
    const { spaceId } = await createFamily(systemCtx(env.deps), parent.email);
    await env.deps.db
      .insertInto('membership')
      .values([
        { id: newId(), space_id: spaceId, account_id: other.accountId, role: 'adult' },
        { id: newId(), space_id: spaceId, account_id: kid.accountId, role: 'child' },
      ])
      .execute();
    for (const c of [parent, other, kid]) await c.client.ok(switchSpace, { body: { spaceId } });
    const shared = await parent.client.ok(I.createClientInvoice, { body: { clientName: 'Shared client', lines: [design] } });
    const mine = await parent.client.ok(I.createClientInvoice, {
      body: { clientName: 'Private client', lines: [design], visibility: 'private' },
    });
    expect((await other.client.ok(I.listClientInvoices)).items.map((i) => i.clientName)).toEqual(['Shared client']);
    expect((await other.client.call(I.getClientInvoice, { params: { invoiceId: mine.id } })).status).toBe(404);
    expect((await kid.client.ok(I.listClientInvoices)).items).toEqual([]);
    expect((await kid.client.call(I.getClientInvoice, { params: { invoiceId: shared.id } })).status).toBe(404);
    expect((await kid.client.call(I.getClientInvoicePdf, { params: { invoiceId: shared.id } })).status).toBe(404);
    const refused = await kid.client.call(I.createClientInvoice, { body: { clientName: 'Lemonade stand', lines: [design] } });
    expect(refused.status).toBe(403);
  });

  it('offers skills with exact contracts: a draft from a description, then sending it becomes one suggestion', async () => {
    const { spaceId, accountId } = await signedUpClient(await env.app());
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
    const draftSkill = findSkill(env.deps.modules, 'invoices.draft-from-text')!;
    expect(draftSkill).toMatchObject({ kind: 'compute', pure: true, scopes: [] });
    const d = (await invokeSkill(draftSkill, sctx, {
      text: '3.5 hours of consulting at €120/hour for Globex GmbH plus 19% VAT, net 30',
    })) as {
      ok: boolean;
      draft: { lines: unknown[]; taxRate: number; currency: string; dueDate: string };
      totals: { total: number };
      summary: string;
    };
    expect(d.ok).toBe(true);
    expect(d.draft).toMatchObject({ clientName: 'Globex GmbH', currency: 'EUR', taxRate: 19, dueDate: '2026-04-09' });
    expect(d.totals.total).toBe(49980); // 420.00 + 19% = 499.80
    expect(d.summary).toContain('€499.80');
    expect(findSkill(env.deps.modules, 'invoices.send')).toMatchObject({
      kind: 'act',
      external: true,
      scopes: ['invoices:write', 'email:send'],
    });
    const created = (await invokeSkill(findSkill(env.deps.modules, 'invoices.create')!, { ...sctx, idempotencyKey: 'k1' }, d.draft)) as {
      invoiceId: string;
    };
    const again = (await invokeSkill(findSkill(env.deps.modules, 'invoices.create')!, { ...sctx, idempotencyKey: 'k1' }, d.draft)) as {
      invoiceId: string;
    };
    expect(again.invoiceId).toBe(created.invoiceId);
  });
});
