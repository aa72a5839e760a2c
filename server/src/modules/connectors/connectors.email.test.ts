import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as C from '@csme/contracts/connectors';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { AppError } from '#core/errors.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createSuggestion } from '#modules/suggestions/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { addTestMailUser } from '#test/services/services.js';
import { connectorsSetting } from './connectors.config.js';
import { recordFailure } from './connectors.service.js';

// Real Dovecot (IMAP) and the SMTP receiver that delivers into it, on 127.0.0.1: the allow list
// holds exactly their two host:port pairs and the hanging server's, nothing broader.

let env: TestEnv;
let hang: Server;
let hangPort: number;
const svc = () => inject('services');
let n = 0;

/**
 * Each test gets its own mailbox. They are all added to Dovecot's users file at once, before the
 * tests, and the setup waits until Dovecot accepts the last one (it re-reads the file on its own time).
 */
const pool: Array<{ user: string; password: string }> = [];
function newMailbox(): { user: string; password: string } {
  const m = pool.shift();
  if (!m) throw new Error('add more mailboxes to the pool');
  return m;
}

async function canLogin(m: { user: string; password: string }): Promise<boolean> {
  const c = new ImapFlow({
    host: svc().imap.host,
    port: svc().imap.port,
    secure: false,
    auth: { user: m.user, pass: m.password },
    logger: false,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.logout();
    return true;
  } catch {
    return false;
  }
}

function emailInput(m: { user: string; password: string }, over: Record<string, unknown> = {}) {
  return {
    kind: 'email' as const,
    name: 'Work mail',
    visibility: 'private' as const,
    imap: { host: svc().imap.host, port: svc().imap.port, tls: 'none' as const },
    smtp: { host: svc().smtp.host, port: svc().smtp.port, tls: 'none' as const },
    username: m.user,
    password: m.password,
    ...over,
  };
}

async function imap(m: { user: string; password: string }) {
  const c = new ImapFlow({
    host: svc().imap.host,
    port: svc().imap.port,
    secure: false,
    auth: { user: m.user, pass: m.password },
    logger: false,
  });
  await c.connect();
  return c;
}

function raw(o: { subject: string; from?: string; to: string; body?: string; headers?: string; id?: string }) {
  return Buffer.from(
    [
      `From: ${o.from ?? 'Dana <dana@example.test>'}`,
      `To: ${o.to}`,
      `Subject: ${o.subject}`,
      `Message-ID: ${o.id ?? `<${Math.random().toString(36).slice(2)}@example.test>`}`,
      'Date: Mon, 09 Mar 2026 10:00:00 +0000',
      o.headers ?? 'Content-Type: text/plain; charset=utf-8',
      '',
      o.body ?? 'Hello there',
      '',
    ].join('\r\n'),
  );
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function connectorRow(id: string) {
  return env.deps.db.selectFrom('connector').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function live(client: TestClient, id: string) {
  return eventually(async () => {
    const v = await client.ok(C.getConnector, { params: { connectorId: id } });
    return v.health.phase === 'live' && v.health.lastSuccessAt ? v : undefined;
  }, 'the connector to finish its sync');
}

beforeAll(async () => {
  hang = createServer(() => {
    // accepts and never greets
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangPort = (hang.address() as { port: number }).port;
  env = await createTestEnv();
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port: svc().imap.port },
        { host: '127.0.0.1', port: svc().smtp.port },
        { host: '127.0.0.1', port: hangPort },
      ],
    },
    null,
  );
  await env.deps.settings.set(
    env.deps.db,
    connectorsSetting,
    { ...connectorsSetting.defaults, emailPageSize: 2, idleRefreshSeconds: 1 },
    null,
  );
  for (let i = 0; i < 16; i++) {
    const m = {
      user: `conn${Date.now().toString(36)}${(n++).toString(36)}@example.test`,
      password: `pw-${Math.random().toString(36).slice(2)}-canary`,
    };
    addTestMailUser(svc(), m.user, m.password);
    pool.push(m);
  }
  await eventually(() => canLogin(pool.at(-1)!), 'Dovecot to know the new mailboxes', 30_000, 200);
  await env.worker();
});
afterAll(async () => {
  await env.close();
  hang.close();
});

describe('connecting an email account', () => {
  it('tests the connection, saves it, indexes existing mail in pages without events, and raises email.received for new mail', async () => {
    const m = newMailbox();
    const seed = await imap(m);
    await seed.append('INBOX', raw({ subject: 'Invoice 1001', to: m.user, body: 'Please pay invoice 1001 by Friday.' }));
    await seed.append(
      'INBOX',
      raw({ subject: 'Grüße', to: m.user, headers: 'Content-Type: text/plain; charset=x-no-such-charset', body: 'Hallo Welt' }),
    );
    await seed.append(
      'INBOX',
      raw({
        subject: 'Broken',
        to: m.user,
        headers: 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="never-closed"',
        body: '--never-closed\r\nContent-Type: text/plain\r\n\r\nfirst part without an end',
      }),
    );
    await seed.append('INBOX', raw({ subject: 'Lunch?', to: m.user, body: 'Lunch at noon?' }), ['\\Seen']);
    await seed.append('INBOX', raw({ subject: 'Minutes', to: m.user, body: 'The minutes of the meeting.' }));
    await seed.append(
      'INBOX',
      raw({
        subject: 'Newsletter',
        to: m.user,
        headers: 'MIME-Version: 1.0\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable',
        body: '<html><style>p{color:red}</style><body><p>Caf=E9 opens at <b>9</b>&nbsp;am</p></body></html>',
      }),
    );
    await seed.append(
      'INBOX',
      raw({
        subject: 'Encoded',
        to: m.user,
        headers: 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=windows-1255\r\nContent-Transfer-Encoding: base64',
        body: Buffer.from([0xf9, 0xec, 0xe5, 0xed]).toString('base64'),
      }),
    );
    await seed.logout();

    const { client, spaceId } = await signedUpClient(await env.app(), { name: 'Mail Person' });
    const test = await client.ok(C.testConnector, { body: emailInput(m) });
    expect(test.ok).toBe(true);
    expect(test.message).toMatch(/7 messages/);
    const created = await client.call(C.createConnector, { body: emailInput(m) });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(m.password);
    expect(created.body.hasCredentials).toBe(true);
    const id = created.body.id;
    const v = await live(client, id);
    expect(v.health).toMatchObject({ progressDone: 7, progressTotal: 7, needsAttention: false });
    expect(v.health.initialSyncedAt).not.toBeNull();
    const rows = await env.deps.db.selectFrom('mail_message').selectAll().where('connector_id', '=', id).orderBy('uid').execute();
    expect(rows.map((r) => r.subject)).toEqual(['Invoice 1001', 'Grüße', 'Broken', 'Lunch?', 'Minutes', 'Newsletter', 'Encoded']);
    expect(rows[2]!.body_text).toContain('first part without an end');
    expect(rows[5]!.body_text).toBe('Café opens at 9 am');
    expect(rows[6]!.body_text).toBe('שלום');
    expect(rows[0]!.body_text).toContain('invoice 1001');
    expect(rows[1]!.body_text).toContain('Hallo');
    expect(rows[3]!.flags).toContain('\\Seen');
    const events = () =>
      env.deps.db.selectFrom('agent_event').selectAll().where('space_id', '=', spaceId).where('type', '=', 'email.received').execute();
    expect(await events()).toHaveLength(0);

    // A message that arrives later, through real SMTP delivery.
    const smtp = nodemailer.createTransport({ host: svc().smtp.host, port: svc().smtp.port, secure: false, ignoreTLS: true });
    await smtp.sendMail({ from: 'boss@example.test', to: m.user, subject: 'New task', text: 'Please review the report.' });
    await client.ok(C.syncConnector, { params: { connectorId: id } });
    const [ev] = await eventually(async () => {
      const e = await events();
      return e.length ? e : undefined;
    }, 'email.received for the new message');
    const data = ev!.data as { connectorId: string; messageId: string; from: string };
    expect(data.connectorId).toBe(id);
    expect(data.from).toBe('boss@example.test');
    const msg = await env.deps.db.selectFrom('mail_message').selectAll().where('id', '=', data.messageId).executeTakeFirstOrThrow();
    expect(msg.subject).toBe('New task');

    // Syncing again raises nothing new.
    await client.ok(C.syncConnector, { params: { connectorId: id } });
    await eventually(async () => {
      const jobs = await sql<{ n: string }>`select count(*) as n from graphile_worker.jobs where key = ${`connector-sync:${id}`}`.execute(
        env.deps.db,
      );
      return Number(jobs.rows[0]!.n) === 0 && (await connectorRow(id)).sync_lease_until === null;
    }, 'the requested sync to finish');
    expect(await events()).toHaveLength(1);
    // The password is in no log line, and the stored credentials are ciphertext.
    expect(env.logs.join('\n')).not.toContain(m.password);
    expect((await connectorRow(id)).credentials!.toString('latin1')).not.toContain(m.password);
  });

  it('indexes a 25 MB message from its first part and lists its attachment, without stopping the sync', async () => {
    const m = newMailbox();
    const big = Buffer.alloc(25 * 1024 * 1024, 7).toString('base64');
    const seed = await imap(m);
    await seed.append(
      'INBOX',
      raw({
        subject: 'Huge attachment',
        to: m.user,
        headers: 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"',
        body: `--b1\r\nContent-Type: text/plain\r\n\r\nSee the attached scan.\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="scan.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n${big.replace(/(.{76})/g, '$1\r\n')}\r\n--b1--`,
      }),
    );
    await seed.append('INBOX', raw({ subject: 'After the big one', to: m.user }));
    await seed.logout();
    const { client } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, { body: emailInput(m) });
    const v = await live(client, id);
    expect(v.health.itemErrors).toBe(1);
    expect(v.health.lastError).toMatch(/could not be read fully/);
    const rows = await env.deps.db.selectFrom('mail_message').selectAll().where('connector_id', '=', id).orderBy('uid').execute();
    expect(rows.map((r) => r.subject)).toEqual(['Huge attachment', 'After the big one']);
    expect(rows[0]!.body_text).toContain('See the attached scan.');
    expect(rows[0]!.parse_error).toMatch(/attachments listed, but they were not downloaded/);
    expect(rows[0]!.attachments).toEqual([expect.objectContaining({ name: 'scan.bin' })]);
  });
});

describe('IMAP IDLE', () => {
  it('notices new mail through IDLE and raises email.received without waiting for the poll', async () => {
    const m = newMailbox();
    const { client, spaceId } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, { body: emailInput(m) });
    await live(client, id);
    // The test clock stands still, so the poll never comes due: only the watcher can notice new mail.
    await eventually(async () => {
      const r = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = (hashtext(${`connector-idle:${id}`})::bigint & 4294967295)::oid`.execute(
        env.deps.db,
      );
      return r.rows[0]!.n > 0;
    }, 'the IDLE watcher to take the account');
    const smtp = nodemailer.createTransport({ host: svc().smtp.host, port: svc().smtp.port, secure: false, ignoreTLS: true });
    const received = async (k: number) => {
      const events = await env.deps.db
        .selectFrom('agent_event')
        .selectAll()
        .where('space_id', '=', spaceId)
        .where('type', '=', 'email.received')
        .execute();
      return events.length >= k ? events : undefined;
    };
    await smtp.sendMail({ from: 'idle@example.test', to: m.user, subject: 'Pushed', text: 'Arrived while idling.' });
    await eventually(() => received(1), 'the first email.received', 20_000);
    // By now the watcher is in IDLE: the second message can only be noticed through it.
    await smtp.sendMail({ from: 'idle2@example.test', to: m.user, subject: 'Pushed again', text: 'Second.' });
    const events = await eventually(() => received(2), 'email.received through IDLE', 20_000);
    expect(events.map((e) => (e.data as { from: string }).from).sort()).toEqual(['idle2@example.test', 'idle@example.test']);
  });
});

describe('when connecting fails', () => {
  it('says the password was not accepted, and saves nothing', async () => {
    const m = newMailbox();
    const { client } = await signedUpClient(await env.app());
    const t = await client.ok(C.testConnector, { body: emailInput(m, { password: 'wrong-password' }) });
    expect(t).toMatchObject({ ok: false, details: { reason: 'auth' } });
    expect(t.message).toMatch(/did not accept the user name and password/);
    const c = await client.call(C.createConnector, { body: emailInput(m, { password: 'wrong-password' }) });
    expect(c.status).toBe(400);
    expect(c.error?.message).toMatch(/nothing was saved/);
    expect((await client.ok(C.listConnectors)).items).toHaveLength(0);
  });

  it('explains an unreachable host, a TLS mismatch and a server that never answers', async () => {
    const m = newMailbox();
    const { client } = await signedUpClient(await env.app());
    // Nothing listens on the hanging server's port once it is... still listening: use the SMTP port as IMAP with TLS.
    const tls = await client.ok(C.testConnector, {
      body: emailInput(m, { imap: { host: '127.0.0.1', port: svc().imap.port, tls: 'tls' } }),
    });
    expect(tls.ok).toBe(false);
    expect(tls.message).toMatch(/TLS|secure|did not answer|closed/);
    const t0 = Date.now();
    const hung = await client.ok(C.testConnector, { body: emailInput(m, { imap: { host: '127.0.0.1', port: hangPort, tls: 'none' } }) });
    expect(hung).toMatchObject({ ok: false });
    expect(hung.message).toMatch(/did not answer in time/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    // A port the guard does not admit for IMAP, and a host that means this machine: refused before any connection.
    const port = await client.ok(C.testConnector, { body: emailInput(m, { imap: { host: '127.0.0.1', port: 5432, tls: 'none' } }) });
    expect(port).toMatchObject({ ok: false, details: { reason: 'port' } });
    const local = await client.ok(C.testConnector, { body: emailInput(m, { imap: { host: 'localhost', port: 993, tls: 'tls' } }) });
    expect(local.ok).toBe(false);
    expect(local.message).toMatch(/loopback/);
  });

  it('refuses an unreachable host in plain words', async () => {
    const m = newMailbox();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const allow = await env.deps.settings.get(egressSetting);
    await env.deps.settings.set(env.deps.db, egressSetting, { allow: [...allow.allow, { host: '127.0.0.1', port }] }, null);
    const { client } = await signedUpClient(await env.app());
    const t = await client.ok(C.testConnector, { body: emailInput(m, { imap: { host: '127.0.0.1', port, tls: 'none' } }) });
    expect(t).toMatchObject({ ok: false, details: { reason: 'refused' } });
    expect(t.message).toMatch(/Nothing answers/);
    await env.deps.settings.set(env.deps.db, egressSetting, allow, null);
  });
});

describe('health', () => {
  it('shows "needs attention" in plain words and tells the owner when the password stops working', async () => {
    const m = newMailbox();
    const { client, accountId } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, { body: emailInput(m) });
    await live(client, id);
    // The password is changed on the server.
    const users = svc().imap.usersFile;
    writeFileSync(users, readFileSync(users, 'utf8').replace(`${m.user}:{PLAIN}${m.password}`, `${m.user}:{PLAIN}changed-elsewhere`));
    await eventually(async () => !(await canLogin(m)), 'Dovecot to refuse the old password', 30_000, 200);
    await client.ok(C.syncConnector, { params: { connectorId: id } });
    const v = await eventually(async () => {
      const c = await client.ok(C.getConnector, { params: { connectorId: id } });
      return c.health.needsAttention ? c : undefined;
    }, 'needs attention');
    expect(v.health.lastError).toMatch(/did not accept the user name and password/);
    const note = await env.deps.db
      .selectFrom('notification')
      .selectAll()
      .where('owner_account_id', '=', accountId)
      .where('kind', '=', 'connector.needs_attention')
      .execute();
    expect(note).toHaveLength(1);
    expect(note[0]!.title).toContain('Work mail');
    // An agent reading through it is told why instead of failing silently.
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId: v.id && (await connectorRow(id)).space_id, accountId });
    await expect(invokeSkill(findSkill(env.deps.modules, 'email.search')!, sctx, {})).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringMatching(/needs attention/),
    });
  });
});

describe('health, at once', () => {
  it('tells the owner once when several syncs find the password refused at the same moment', async () => {
    const m = newMailbox();
    const { client, accountId } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, { body: emailInput(m) });
    await live(client, id);
    // Each failing sync read the row before any of them recorded the failure (a manual sync, the watcher, the schedule).
    const row = await connectorRow(id);
    const refused = new AppError('forbidden', 'The mail server did not accept the user name and password.', { attention: true });
    await Promise.all(Array.from({ length: 6 }, () => recordFailure(systemCtx(env.deps), row, refused)));
    const notes = await env.deps.db
      .selectFrom('notification')
      .select('id')
      .where('owner_account_id', '=', accountId)
      .where('kind', '=', 'connector.needs_attention')
      .execute();
    expect(notes).toHaveLength(1);
    expect((await connectorRow(id)).needs_attention).toBe(true);
  });
});

describe('email actions', () => {
  async function setup() {
    const m = newMailbox();
    const seed = await imap(m);
    await seed.append(
      'INBOX',
      raw({ subject: 'Quarterly report', to: m.user, from: 'Boss <boss@example.test>', id: '<report-1@example.test>' }),
    );
    await seed.logout();
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, { body: emailInput(m, { fromAddress: m.user }) });
    await live(client, id);
    const msg = await env.deps.db.selectFrom('mail_message').selectAll().where('connector_id', '=', id).executeTakeFirstOrThrow();
    const sctx = (key: string | null = null) =>
      createSkillContext(systemCtx(env.deps), { spaceId, accountId, idempotencyKey: key, agentId: null });
    const run = async (skill: string, input: unknown, key: string | null = null) =>
      invokeSkill(findSkill(env.deps.modules, skill)!, await sctx(key), input) as Promise<Record<string, unknown>>;
    return { m, client, spaceId, accountId, id, msg, run };
  }

  it('searches and reads the index, and logs each read in the activity log', async () => {
    const { run, spaceId, msg } = await setup();
    const found = (await run('email.search', { query: 'quarterly' })) as { messages: Array<{ id: string; unread: boolean }> };
    expect(found.messages.map((x) => x.id)).toEqual([msg.id]);
    expect(found.messages[0]!.unread).toBe(true);
    const read = await run('email.read', { messageId: msg.id });
    expect(read).toMatchObject({ subject: 'Quarterly report', from: 'boss@example.test' });
    const log = await env.deps.db
      .selectFrom('activity')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('kind', '=', 'connector.read')
      .execute();
    expect(log.map((l) => l.summary)).toEqual([
      expect.stringMatching(/Searched "Work mail" for "quarterly": 1 messages/),
      expect.stringMatching(/Read the message "Quarterly report"/),
    ]);
  });

  it('flags, marks read and moves a message on the server, and saves a reply draft once', async () => {
    const { run, msg, m } = await setup();
    await run('email.flag', { messageId: msg.id, flagged: true }, 'k-flag');
    await run('email.mark-read', { messageId: msg.id, read: true }, 'k-read');
    const c = await imap(m);
    let lock = await c.getMailboxLock('INBOX');
    const [fetched] = await collect(c.fetch('1:*', { uid: true, flags: true }));
    lock.release();
    expect([...(fetched!.flags ?? [])].sort()).toEqual(['\\Flagged', '\\Seen']);
    // A reply draft, saved twice under the same key, is in Drafts once, threaded to the original.
    await run('email.draft-reply', { messageId: msg.id, text: 'Thanks, I will read it today.' }, 'k-draft');
    await run('email.draft-reply', { messageId: msg.id, text: 'Thanks, I will read it today.' }, 'k-draft');
    lock = await c.getMailboxLock('Drafts');
    const drafts = await collect(c.fetch('1:*', { uid: true, flags: true, source: true, envelope: true }));
    lock.release();
    expect(drafts).toHaveLength(1);
    expect(drafts[0]!.envelope?.subject).toBe('Re: Quarterly report');
    expect(drafts[0]!.envelope?.inReplyTo).toBe('<report-1@example.test>');
    expect(drafts[0]!.flags?.has('\\Draft')).toBe(true);
    // Move to the archive; doing it again (a retry) is harmless.
    expect(await run('email.move', { messageId: msg.id, to: 'archive' }, 'k-move')).toMatchObject({ folder: 'Archive' });
    expect(await run('email.move', { messageId: msg.id, to: 'archive' }, 'k-move')).toMatchObject({ folder: 'Archive' });
    const inbox = await c.status('INBOX', { messages: true });
    const archive = await c.status('Archive', { messages: true });
    // biome-ignore lint/complexity/useOptionalChain: status() answers false, not undefined, when it cannot tell
    expect([inbox && inbox.messages, archive && archive.messages]).toEqual([0, 1]);
    await c.logout();
  });

  it('sends through SMTP once, with a copy in Sent, and reconciles a crash by the Message-ID in Sent', async () => {
    const { spaceId, accountId, m } = await setup();
    const skill = findSkill(env.deps.modules, 'email.send')!;
    const received = () =>
      readFileSync(svc().smtp.received, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { to: string; messageId: string });
    const suggest = (key: string) =>
      env.deps.db.transaction().execute((tx) =>
        createSuggestion(
          { ...systemCtx(env.deps), db: tx },
          {
            spaceId,
            ownerAccountId: accountId,
            visibility: 'private',
            agentId: null,
            runId: null,
            skill,
            action: { to: ['friend@example.test'], cc: [], subject: `Hello ${key}`, text: 'See you soon.' },
            idempotencyKey: key,
            policy: 'auto',
            locale: 'en',
          },
        ),
      );
    const status = (id: string) =>
      env.deps.db.selectFrom('suggestion').select(['status', 'result']).where('id', '=', id).executeTakeFirstOrThrow();
    const s1 = await suggest(`send-${m.user}`);
    const done = await eventually(async () => ((await status(s1.id)).status === 'done' ? status(s1.id) : undefined), 'the send to finish');
    const messageId = (done.result as { messageId: string }).messageId;
    expect(received().filter((r) => r.messageId === messageId)).toHaveLength(1);
    const c = await imap(m);
    const lock = await c.getMailboxLock('Sent');
    expect(await c.search({ header: { 'message-id': messageId } }, { uid: true })).toHaveLength(1);
    lock.release();
    await c.logout();

    // A worker died after sending but before recording it: the retry finds it in Sent and does not send again.
    await sql`update suggestion set status = 'executing' where id = ${s1.id}`.execute(env.deps.db);
    await sql`select graphile_worker.add_job('suggestions.execute-action', json_build_object('spaceId', ${spaceId}::text, 'suggestionId', ${s1.id}::text))`.execute(
      env.deps.db,
    );
    await eventually(async () => (await status(s1.id)).status === 'done', 'reconciled as done');
    expect(received().filter((r) => r.messageId === messageId)).toHaveLength(1);

    // One that never reached the server: not found in Sent, so it becomes `unknown` for the person: never resent on its own.
    const s2 = await env.deps.db.transaction().execute(async (tx) => {
      const r = await createSuggestion(
        { ...systemCtx(env.deps), db: tx },
        {
          spaceId,
          ownerAccountId: accountId,
          visibility: 'private',
          agentId: null,
          runId: null,
          skill,
          action: { to: ['friend@example.test'], cc: [], subject: 'Never sent', text: '...' },
          idempotencyKey: `lost-${m.user}`,
          policy: 'suggest',
          locale: 'en',
        },
      );
      await sql`update suggestion set status = 'executing' where id = ${r.id}`.execute(tx);
      await sql`select graphile_worker.add_job('suggestions.execute-action', json_build_object('spaceId', ${spaceId}::text, 'suggestionId', ${r.id}::text))`.execute(
        tx,
      );
      return r;
    });
    await eventually(async () => (await status(s2.id)).status === 'unknown', 'unknown after reconcile');
    expect(received().filter((r) => r.to === 'friend@example.test' && r.messageId !== messageId)).toHaveLength(0);
  });
});

describe('plans', () => {
  it('allows one email account on Free, pauses the extra ones on a downgrade without deleting, and resumes them', async () => {
    const { client, spaceId, email } = await signedUpClient(await env.app());
    const a = newMailbox();
    const b = newMailbox();
    const first = await client.ok(C.createConnector, { body: emailInput(a) });
    const second = await client.call(C.createConnector, { body: emailInput(b, { name: 'Second' }) });
    expect(second.status).toBe(402);
    expect(second.error?.code).toBe('quota_exceeded');
    expect(second.error?.message).toMatch(/one email account/);
    const dav = await client.call(C.createConnector, {
      body: { kind: 'caldav', name: 'Cal', visibility: 'private', url: svc().caldav.url, username: 'alice', password: 'secret' },
    });
    expect(dav.status).toBe(402);
    expect(dav.error?.message).toMatch(/needs a plan with all connectors/);

    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const made = await client.ok(C.createConnector, { body: emailInput(b, { name: 'Second' }) });
    await setSpacePlan(systemCtx(env.deps), spaceId, 'free');
    let list = (await client.ok(C.listConnectors)).items;
    expect(list.map((c) => [c.name, c.status, c.pausedReason])).toEqual([
      ['Work mail', 'active', null],
      ['Second', 'paused', 'plan_limit'],
    ]);
    expect(list.find((c) => c.id === first.id)).toBeDefined();
    await setSpacePlan(systemCtx(env.deps), spaceId, 'pro');
    list = (await client.ok(C.listConnectors)).items;
    expect(list.find((c) => c.id === made.id)?.status).toBe('active');
  });
});
