import * as C from '@csme/contracts/connectors';
import * as P from '@csme/contracts/packs';
import { listRuns } from '@csme/contracts/runs';
import { approveSuggestion, getSuggestion, listSuggestions } from '@csme/contracts/suggestions';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { egressSetting } from '#core/egress.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { addTestMailUser } from '#test/services/services.js';

// Inbox & Day on a real mailbox (Dovecot on 127.0.0.1): new mail raises a triage run, the run proposes
// a label, and approving it makes the folder on the server and moves the message there.

let env: TestEnv;
const svc = () => inject('services');
const box = { user: `inboxday${Date.now().toString(36)}@example.test`, password: 'inbox-day-password' };

async function imap() {
  const c = new ImapFlow({
    host: svc().imap.host,
    port: svc().imap.port,
    secure: false,
    auth: { user: box.user, pass: box.password },
    logger: false,
  });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function raw(o: { from: string; subject: string; body: string; headers?: string[] }) {
  return Buffer.from(
    [
      `From: ${o.from}`,
      `To: ${box.user}`,
      `Subject: ${o.subject}`,
      `Message-ID: <${Math.random().toString(36).slice(2)}@example.test>`,
      'Date: Tue, 10 Mar 2026 08:00:00 +0000',
      ...(o.headers ?? []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body,
      '',
    ].join('\r\n'),
  );
}

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
  addTestMailUser(svc(), box.user, box.password);
  await eventually(
    async () => {
      try {
        await (await imap()).logout();
        return true;
      } catch {
        return false;
      }
    },
    'Dovecot to accept the new mailbox',
    30_000,
    200,
  );
  await env.worker();
});
afterAll(() => env.close());

describe('Inbox & Day on a real mailbox', () => {
  it('triages new mail and, on approval, files a newsletter under a label it makes on the server', async () => {
    const { client } = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    const c = await imap();
    await c.append('INBOX', raw({ from: 'Dana <dana@example.test>', subject: 'Old news', body: 'Already here before the pack.' }));
    const conn = await client.ok(C.createConnector, {
      body: {
        kind: 'email',
        name: 'Work mail',
        visibility: 'private',
        imap: { host: svc().imap.host, port: svc().imap.port, tls: 'none' },
        smtp: { host: svc().smtp.host, port: svc().smtp.port, tls: 'none' },
        username: box.user,
        password: box.password,
      },
    });
    await eventually(
      async () => (await client.ok(C.getConnector, { params: { connectorId: conn.id } })).health.initialSyncedAt,
      'the first sync',
    );
    const inst = await client.ok(P.installPack, {
      params: { packId: 'inbox-day' },
      body: {
        settings: {},
        grantedScopes: ['email:read', 'email:write', 'calendar:read', 'tasks:read', 'tasks:write', 'contacts:read', 'notify'],
      },
    });
    const triage = inst.agents.find((a) => a.key === 'inbox-triage')!;
    await c.append(
      'INBOX',
      raw({
        from: 'The Weekly Brief <news@weeklybrief.example>',
        subject: 'Issue 113: five ideas for better meetings',
        body: 'Our top links of the week. You are receiving this newsletter because you subscribed. Unsubscribe at any time.',
        headers: ['List-Unsubscribe: <mailto:unsubscribe@weeklybrief.example>', 'Precedence: bulk'],
      }),
    );
    await client.ok(C.syncConnector, { params: { connectorId: conn.id } });
    await eventually(
      async () => (await client.ok(listRuns, { query: { agentId: triage.id } })).items.find((r) => r.status === 'succeeded'),
      'the triage run of the new message',
      60_000,
    );
    const s = (await client.ok(listSuggestions, { query: { status: 'pending' } })).items.find(
      (x) => x.title === 'Move a message to Newsletters',
    )!;
    expect(s.action).toMatchObject({ to: 'Newsletters', createIfMissing: true });
    await client.ok(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.actionHash } });
    const done = await eventually(
      async () => {
        const x = await client.ok(getSuggestion, { params: { suggestionId: s.id } });
        return ['done', 'failed'].includes(x.status) ? x : undefined;
      },
      'the move to be performed',
      30_000,
    );
    expect(done.status).toBe('done');
    const folders = (await c.list()).map((f) => f.path);
    expect(folders).toContain('Newsletters');
    const lock = await c.getMailboxLock('Newsletters');
    try {
      const subjects: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
      expect(subjects).toEqual(['Issue 113: five ideas for better meetings']);
    } finally {
      lock.release();
    }
    await c.logout();
  }, 120_000);
});
