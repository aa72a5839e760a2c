import * as C from '@csme/contracts/connectors';
import * as E from '@csme/contracts/expenses';
import * as I from '@csme/contracts/invoices';
import * as P from '@csme/contracts/packs';
import { listRuns, runAgentNow } from '@csme/contracts/runs';
import { approveSuggestion, getSuggestion, listSuggestions, type SuggestionView } from '@csme/contracts/suggestions';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { markOverdueInvoicesJob } from '#modules/apps/index.js';
import { uploadFile } from '#test/apps.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { addTestMailUser } from '#test/services/services.js';

// Solo Back-office on a real mailbox (Dovecot and its SMTP receiver on 127.0.0.1), on the local engine:
// a plain description becomes an invoice sent with its PDF once approved, an overdue invoice a
// reminder, receipts by mail and by upload expenses, and a silent thread a follow-up task.

let env: TestEnv;
const svc = () => inject('services');
const stamp = Date.now().toString(36);
const me = { user: `solo${stamp}@example.test`, password: 'solo-password-1' };
const client = { user: `acme${stamp}@example.test`, password: 'acme-password-1' };
const SCOPES = ['email:read', 'email:send', 'files:read', 'tasks:write', 'invoices:read', 'invoices:write', 'expenses:write', 'notify'];

async function imap(m: { user: string; password: string }) {
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
}

function raw(o: { from: string; subject: string; body: string; date?: string }) {
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${me.user}`,
      `Subject: ${o.subject}`,
      `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
      `Date: ${o.date ?? 'Tue, 10 Mar 2026 08:00:00 +0000'}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body,
      '',
    ].join('\r\n'),
  );
}

async function pending(c: TestClient, agentId: string, skillId: string): Promise<SuggestionView> {
  return eventually(
    async () =>
      (await c.ok(listSuggestions, { query: { status: 'pending' } })).items.find((s) => s.agentId === agentId && s.skillId === skillId),
    `a ${skillId} suggestion`,
    60_000,
  );
}

async function approve(c: TestClient, s: SuggestionView) {
  await c.ok(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.actionHash } });
  return eventually(
    async () => {
      const x = await c.ok(getSuggestion, { params: { suggestionId: s.id } });
      return ['done', 'failed', 'unknown'].includes(x.status) ? x : undefined;
    },
    `${s.skillId} to be performed`,
    30_000,
  );
}

async function inboxSubjects(m: { user: string; password: string }, subject: string) {
  const c = await imap(m);
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const uids = (await c.search({ subject }, { uid: true })) || [];
      const out: string[] = [];
      for (const uid of uids) {
        const msg = await c.fetchOne(String(uid), { source: true }, { uid: true });
        out.push(msg ? (msg.source?.toString() ?? '') : '');
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
}

let person: Awaited<ReturnType<typeof signedUpClient>>;
let agents: Record<string, string>;
let connectorId: string;

beforeAll(async () => {
  env = await createTestEnv();
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: svc().imap.host, port: svc().imap.port },
        { host: svc().smtp.host, port: svc().smtp.port },
      ],
    },
    null,
  );
  addTestMailUser(svc(), me.user, me.password);
  addTestMailUser(svc(), client.user, client.password);
  await eventually(
    async () => {
      try {
        await (await imap(client)).logout();
        return true;
      } catch {
        return false;
      }
    },
    'Dovecot to accept the new mailboxes',
    30_000,
    200,
  );
  const seed = await imap(me);
  await seed.append(
    'INBOX',
    raw({
      from: 'Dana Levi <dana@clientco.example>',
      subject: 'Logo options',
      body: 'Hi, could you send me the three logo options by Thursday? Let me know if you need anything.',
      date: 'Wed, 04 Mar 2026 10:00:00 +0000',
    }),
  );
  await seed.logout();
  await env.worker();
  person = await signedUpClient(await env.app(), { name: 'Sam Solo' });
  const conn = await person.client.ok(C.createConnector, {
    body: {
      kind: 'email',
      name: 'Studio mail',
      visibility: 'private',
      imap: { host: svc().imap.host, port: svc().imap.port, tls: 'none' },
      smtp: { host: svc().smtp.host, port: svc().smtp.port, tls: 'none' },
      username: me.user,
      password: me.password,
    },
  });
  connectorId = conn.id;
  await eventually(
    async () => (await person.client.ok(C.getConnector, { params: { connectorId } })).health.initialSyncedAt,
    'the first sync',
  );
  const inst = await person.client.ok(P.installPack, {
    params: { packId: 'solo-backoffice' },
    body: { settings: {}, grantedScopes: SCOPES },
  });
  agents = Object.fromEntries(inst.agents.map((a) => [a.key, a.id]));
  // On Free: one pack, three agents, all of them on.
  expect(inst.agents.map((a) => [a.key, a.enabled])).toEqual([
    ['follow-ups', true],
    ['invoicing', true],
    ['receipts', true],
  ]);
});
afterAll(() => env.close());

describe('Solo Back-office', () => {
  it('turns a plain description into an invoice that is numbered and sent with its PDF only once approved', async () => {
    await person.client.ok(runAgentNow, {
      params: { agentId: agents.invoicing! },
      body: { input: { text: `2 hours of design for Acme at $80/h, ${client.user}, due in 14 days` } },
    });
    const s = await pending(person.client, agents.invoicing!, 'invoices.send');
    expect(s.title).toBe(`Send an invoice to Acme (${client.user}), PDF attached`);
    expect(s.summary).toContain('Design (hours): 2 × $80.00 = $160.00');
    expect(s.summary).toContain('due 2026-03-24');
    expect(s.external).toBe(true);
    expect((await person.client.ok(I.listClientInvoices)).items).toEqual([]);
    const done = await approve(person.client, s);
    expect(done.error).toBeNull();
    expect(done.status).toBe('done');
    const [inv] = (await person.client.ok(I.listClientInvoices)).items;
    expect(inv).toMatchObject({
      reference: 'INV-0001',
      status: 'sent',
      total: 16000,
      clientName: 'Acme',
      sentTo: client.user,
      createdByAgent: true,
    });
    const mail = await eventually(async () => {
      const got = await inboxSubjects(client, 'Invoice INV-0001');
      return got.length ? got : undefined;
    }, 'the invoice in the client inbox');
    expect(mail).toHaveLength(1);
    expect(mail[0]).toContain('INV-0001.pdf');
  }, 120_000);

  it('proposes a payment reminder when the invoice becomes overdue', async () => {
    const [inv] = (await person.client.ok(I.listClientInvoices)).items;
    const clock = env.clock as ManualClock;
    clock.set('2026-03-25T12:00:00Z');
    try {
      await markOverdueInvoicesJob.handler(
        systemCtx(env.deps),
        {},
        { jobId: 'test', attempts: 1, maxAttempts: 1, signal: new AbortController().signal },
      );
      expect((await person.client.ok(I.getClientInvoice, { params: { invoiceId: inv!.id } })).status).toBe('overdue');
      const s = await pending(person.client, agents.invoicing!, 'invoices.send');
      expect(s.action).toMatchObject({ invoiceId: inv!.id, reminder: true });
      expect(s.summary).toBe(`INV-0001 to Acme: $160.00, due 2026-03-24`);
      expect((await approve(person.client, s)).status).toBe('done');
      const reminders = await eventually(async () => {
        const got = await inboxSubjects(client, 'Reminder: invoice INV-0001');
        return got.length ? got : undefined;
      }, 'the reminder in the client inbox');
      expect(reminders).toHaveLength(1);
      expect(reminders[0]).toContain('INV-0001.pdf');
    } finally {
      clock.set('2026-03-10T09:00:00Z');
    }
  }, 120_000);

  it('proposes an expense for a receipt that arrives by mail, and for one that is uploaded', async () => {
    const c = await imap(me);
    await c.append(
      'INBOX',
      raw({
        from: 'Uber Receipts <noreply@uber.example>',
        subject: 'Your Monday morning trip with Uber',
        body: 'Thanks for riding, Sam\nTrip on March 9, 2026\n\nTrip fare $19.50\nBooking fee $2.40\nTotal $21.90\nCharged to Visa 4242\nThis is your receipt.',
      }),
    );
    await c.logout();
    await person.client.ok(C.syncConnector, { params: { connectorId } });
    const s = await pending(person.client, agents.receipts!, 'expenses.add');
    expect(s.title).toBe('Add an expense: Uber, $21.90');
    expect((await approve(person.client, s)).status).toBe('done');
    await uploadFile(
      person.client,
      'staples-receipt.txt',
      'Staples\nOffice supplies receipt\nPrinter paper  $12.00\nToner  $35.50\nSubtotal $47.50\nTax $3.80\nTotal $51.30\n2026-03-08',
    );
    const s2 = await pending(person.client, agents.receipts!, 'expenses.add');
    expect(s2.action).toMatchObject({ merchant: 'Staples', amount: 5130, currency: 'USD', category: 'office', spentOn: '2026-03-08' });
    await approve(person.client, s2);
    const ledger = await person.client.ok(E.listExpenses);
    expect(ledger.items.map((e) => [e.merchant, e.amount, e.category, e.source])).toEqual([
      ['Uber', 2190, 'travel', 'email'],
      ['Staples', 5130, 'office', 'file'],
    ]);
    // A study note uploaded to the same space is no receipt: nothing is proposed for it.
    const runsBefore = (await person.client.ok(listRuns, { query: { agentId: agents.receipts! } })).items.length;
    await uploadFile(person.client, 'notes.txt', 'Ideas for the new website: a calmer palette and a bigger portfolio.');
    await eventually(
      async () =>
        (await person.client.ok(listRuns, { query: { agentId: agents.receipts! } })).items.filter((r) => r.status === 'succeeded').length >
        runsBefore,
      'the run for the note',
    );
    expect(
      (await person.client.ok(listSuggestions, { query: { status: 'pending' } })).items.filter((x) => x.skillId === 'expenses.add'),
    ).toEqual([]);
  }, 120_000);

  it('finds a client waiting for an answer and proposes a task to answer them', async () => {
    await person.client.ok(runAgentNow, { params: { agentId: agents['follow-ups']! }, body: {} });
    const s = await pending(person.client, agents['follow-ups']!, 'tasks.create');
    expect(s.title).toBe('Create a task: Answer Dana Levi: Logo options');
  }, 120_000);
});
