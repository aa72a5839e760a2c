import * as Cal from '@csme/contracts/calendar';
import * as C from '@csme/contracts/connectors';
import { createDAVClient } from 'tsdav';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { addTestCalendarUser } from '#test/services/services.js';

// The calendar app writes to a connected CalDAV calendar (a real Radicale) through the connectors'
// skill, and shows that event merged with the person's own, clashes marked.

let env: TestEnv;
const svc = () => inject('services');

beforeAll(async () => {
  env = await createTestEnv();
  const dav = new URL(svc().caldav.url);
  await env.deps.settings.set(env.deps.db, egressSetting, { allow: [{ host: dav.hostname, port: Number(dav.port) }] }, null);
  await env.worker();
});
afterAll(() => env.close());

describe('the calendar app with a CalDAV calendar', () => {
  it('adds an event to the CalDAV server when asked, and merges it with own events, clashes marked', async () => {
    const user = `home${Date.now().toString(36)}`;
    addTestCalendarUser(svc(), user, 'dav-secret');
    const direct = await createDAVClient({
      serverUrl: svc().caldav.url,
      credentials: { username: user, password: 'dav-secret' },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
    });
    await direct.makeCalendar({ url: `${svc().caldav.url}${user}/home/`, props: { displayname: 'Home' } });
    const { client, email } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const conn = await client.ok(C.createConnector, {
      body: { kind: 'caldav', name: 'Home calendar', visibility: 'private', url: svc().caldav.url, username: user, password: 'dav-secret' },
    });
    await eventually(async () => (await client.ok(C.getConnector, { params: { connectorId: conn.id } })).health.phase === 'live', 'synced');
    const window = { from: '2026-03-12T00:00:00Z', to: '2026-03-13T00:00:00Z' };
    expect((await client.ok(Cal.getAgenda, { query: window })).writableCalendars).toEqual([
      { connectorId: conn.id, name: 'Home calendar' },
    ]);
    const made = await client.ok(Cal.createEvent, {
      body: { title: 'Parents evening', startsAt: '2026-03-12T17:00:00Z', endsAt: '2026-03-12T18:00:00Z', connectorId: conn.id },
    });
    expect(made.source).toBe('connected');
    const objects = await direct.fetchCalendarObjects({ calendar: (await direct.fetchCalendars())[0]! });
    expect(objects.map((o) => String(o.data))).toEqual([expect.stringContaining('SUMMARY:Parents evening')]);
    await client.ok(Cal.createEvent, {
      body: { title: 'Football practice', startsAt: '2026-03-12T17:30:00Z', endsAt: '2026-03-12T19:00:00Z' },
    });
    const day = await client.ok(Cal.getAgenda, { query: window });
    expect(day.items.map((i) => [i.title, i.source, i.writable])).toEqual([
      ['Parents evening', 'connected', true],
      ['Football practice', 'own', true],
    ]);
    expect(day.conflicts).toHaveLength(1);
    // Repeats belong to the connected calendar's own app; the rest of the input is checked as usual.
    const repeat = await client.call(Cal.createEvent, {
      body: { title: 'x', startsAt: '2026-03-12T17:00:00Z', endsAt: '2026-03-12T18:00:00Z', rrule: 'FREQ=WEEKLY', connectorId: conn.id },
    });
    expect(repeat.status).toBe(400);
  });
});
