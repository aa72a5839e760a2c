import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { switchSpace } from '@csme/contracts/accounts';
import * as C from '@csme/contracts/connectors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { newId } from '#core/ids.js';
import { createFamily } from '#modules/admin/index.js';
import { createTestEnv, eventually, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';
import { readCredentials } from './connectors.service.js';

let env: TestEnv;
let server: Server;
let port: number;
const svc = () => inject('services');
const ICS =
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\nDTSTART:20260312T100000Z\r\nDTEND:20260312T110000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/calendar' }).end(ICS));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  env = await createTestEnv();
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port },
        { host: '127.0.0.1', port: svc().imap.port },
        { host: '127.0.0.1', port: svc().smtp.port },
      ],
    },
    null,
  );
  await env.worker();
});
afterAll(async () => {
  await env.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const ics = () => ({ kind: 'ics' as const, name: 'Team', visibility: 'private' as const, url: `http://127.0.0.1:${port}/team.ics` });
const mail = (over: Record<string, unknown> = {}) => ({
  kind: 'email' as const,
  name: 'Mail',
  visibility: 'private' as const,
  imap: { host: '127.0.0.1', port: svc().imap.port, tls: 'none' as const },
  smtp: { host: '127.0.0.1', port: svc().smtp.port, tls: 'none' as const },
  username: 'alice@example.test',
  password: 'secret',
  ...over,
});

describe('the connectors API', () => {
  it('needs a session, and validates input with readable errors', async () => {
    const anon = new TestClient(await env.app());
    expect((await anon.call(C.listConnectors)).status).toBe(401);
    const { client } = await signedUpClient(await env.app());
    const bad = await client.call(C.createConnector, { body: { kind: 'email', name: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.error?.code).toBe('invalid_input');
    const host = await client.call(C.testConnector, { body: mail({ imap: { host: 'user@evil.test', port: 993, tls: 'tls' } }) });
    expect(host.status).toBe(403);
    expect(host.error?.message).toMatch(/is not a host name/);
  });

  it('lists, changes and disconnects; another space sees none of it', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const made = await a.client.ok(C.createConnector, { body: ics() });
    await eventually(
      async () => (await a.client.ok(C.getConnector, { params: { connectorId: made.id } })).health.phase === 'live',
      'synced',
    );
    expect(await env.deps.db.selectFrom('calendar_event').select('id').where('connector_id', '=', made.id).execute()).toHaveLength(1);
    expect((await b.client.call(C.getConnector, { params: { connectorId: made.id } })).status).toBe(404);
    expect((await b.client.call(C.deleteConnector, { params: { connectorId: made.id } })).status).toBe(404);
    expect((await b.client.call(C.updateConnector, { params: { connectorId: made.id }, body: ics() })).status).toBe(404);
    expect((await b.client.ok(C.listConnectors)).items).toEqual([]);
    const renamed = await a.client.ok(C.updateConnector, { params: { connectorId: made.id }, body: { ...ics(), name: 'Team calendar' } });
    expect(renamed.name).toBe('Team calendar');
    expect((await a.client.call(C.deleteConnector, { params: { connectorId: made.id } })).status).toBe(204);
    expect(await env.deps.db.selectFrom('calendar_event').select('id').where('connector_id', '=', made.id).execute()).toHaveLength(0);
    const log = await env.deps.db.selectFrom('activity').select('kind').where('space_id', '=', a.spaceId).orderBy('seq').execute();
    expect(log.map((l) => l.kind)).toEqual(['connector.connected', 'settings.changed', 'connector.disconnected']);
  });

  it('keeps the stored password for the same server, and asks for it again when the server changes', async () => {
    const { client } = await signedUpClient(await env.app());
    const made = await client.ok(C.createConnector, { body: mail() });
    const { password: _drop, ...withoutPassword } = mail({ name: 'Mail (renamed)' });
    const same = await client.ok(C.updateConnector, { params: { connectorId: made.id }, body: withoutPassword });
    expect(same.name).toBe('Mail (renamed)');
    const moved = await client.call(C.updateConnector, {
      params: { connectorId: made.id },
      body: { ...withoutPassword, smtp: { host: 'smtp.elsewhere.test', port: 587, tls: 'starttls' } },
    });
    expect(moved.status).toBe(400);
    expect(moved.error?.message).toMatch(/type the password again/);
    for (const r of [made, same]) expect(JSON.stringify(r)).not.toContain('secret');
    // The ciphertext is bound to its hosts: the same bytes under another host set do not decrypt.
    const row = await env.deps.db.selectFrom('connector').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow();
    expect(await readCredentials(systemCtx(env.deps), row)).toEqual({ password: 'secret' });
    const moved2 = { ...row, config: { ...(row.config as object), hosts: ['attacker.example'] } };
    await expect(readCredentials(systemCtx(env.deps), moved2)).rejects.toThrow(/cannot be read any more/);
    expect(env.logs.join('\n')).not.toContain('"secret"');
  });

  it('in a family space: adults share or keep private; a child cannot connect and does not see shared accounts', async () => {
    const parent = await signedUpClient(await env.app(), { name: 'Parent' });
    const other = await signedUpClient(await env.app(), { name: 'Other adult' });
    const kid = await signedUpClient(await env.app(), { name: 'Kid' });
    const { spaceId } = await createFamily(systemCtx(env.deps), parent.email);
    await env.deps.db
      .insertInto('membership')
      .values([
        { id: newId(), space_id: spaceId, account_id: other.accountId, role: 'adult' },
        { id: newId(), space_id: spaceId, account_id: kid.accountId, role: 'child' },
      ])
      .execute();
    for (const c of [parent, other, kid]) await c.client.ok(switchSpace, { body: { spaceId } });
    const shared = await parent.client.ok(C.createConnector, { body: { ...ics(), name: 'Family calendar', visibility: 'shared' } });
    const mine = await parent.client.ok(C.createConnector, { body: { ...ics(), name: 'My calendar', visibility: 'private' } });
    expect((await other.client.ok(C.listConnectors)).items.map((c) => c.name)).toEqual(['Family calendar']);
    expect((await other.client.call(C.getConnector, { params: { connectorId: mine.id } })).status).toBe(404);
    expect((await kid.client.ok(C.listConnectors)).items).toEqual([]);
    expect((await kid.client.call(C.getConnector, { params: { connectorId: shared.id } })).status).toBe(404);
    const refused = await kid.client.call(C.createConnector, { body: ics() });
    expect(refused.status).toBe(403);
    expect(refused.error?.message).toMatch(/Only adults/);
  });
});
