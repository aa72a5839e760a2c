import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as C from '@csme/contracts/connectors';
import { createDAVClient } from 'tsdav';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { egressSetting } from '#core/egress.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { addTestCalendarUser } from '#test/services/services.js';
import { parseCalendar } from './calendar/ical.js';

// A local HTTP server serves ICS feeds, and the real Radicale serves CalDAV; the allow list holds
// exactly their two host:port pairs. The clock stands at 2026-03-10 09:00 UTC.

let env: TestEnv;
let server: Server;
let port: number;
const files: Record<string, { body: string; etag?: string }> = {};
let notModified = 0;
const svc = () => inject('services');

const CHOIR = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
X-WR-CALNAME:Family
BEGIN:VEVENT
UID:choir@test
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260317T190000
DTEND;TZID=Europe/Berlin:20260317T203000
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5
EXDATE;TZID=Europe/Berlin:20260324T190000
SUMMARY:Choir
LOCATION:Town hall
END:VEVENT
BEGIN:VEVENT
UID:choir@test
RECURRENCE-ID;TZID=Europe/Berlin:20260331T190000
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260331T200000
DTEND;TZID=Europe/Berlin:20260331T213000
SUMMARY:Choir (late)
END:VEVENT
BEGIN:VEVENT
UID:dentist@test
DTSTAMP:20260301T000000Z
DTSTART:20260311T100000Z
DTEND:20260311T110000Z
SUMMARY:Dentist
END:VEVENT
BEGIN:VEVENT
UID:holiday@test
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260320
DTEND;VALUE=DATE:20260321
SUMMARY:Spring holiday
END:VEVENT
END:VCALENDAR
`;

const BROKEN = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:nostart@test
SUMMARY:No start
END:VEVENT
BEGIN:VEVENT
UID:mars@test
DTSTART;TZID=Mars/Olympus_Mons:20260312T090000
DTEND;TZID=Mars/Olympus_Mons:20260312T100000
SUMMARY:Rover check
END:VEVENT
BEGIN:VEVENT
UID:forever@test
DTSTART:19700101T000000Z
DTEND:19700101T000100Z
RRULE:FREQ=MINUTELY
SUMMARY:Every minute since 1970
END:VEVENT
BEGIN:VEVENT
UID:fine@test
DTSTART:20260312T150000Z
DTEND:20260312T160000Z
SUMMARY:Still fine
END:VEVENT
END:VCALENDAR
`;

async function occurrences(spaceId: string, accountId: string, from: string, to: string) {
  const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
  return (await invokeSkill(findSkill(env.deps.modules, 'calendar.list-events')!, sctx, { from, to })) as {
    events: Array<{
      eventId: string;
      summary: string;
      startsAt: string;
      endsAt: string;
      allDay: boolean;
      location: string;
      writable: boolean;
    }>;
  };
}

async function synced(client: TestClient, id: string, after?: string | null) {
  return eventually(async () => {
    const v = await client.ok(C.getConnector, { params: { connectorId: id } });
    return v.health.lastSyncAt && v.health.lastSyncAt !== after && v.health.phase !== 'pending' ? v : undefined;
  }, 'a sync of the calendar');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) return res.writeHead(404).end('not here');
    if (f.etag && req.headers['if-none-match'] === f.etag) {
      notModified++;
      return res.writeHead(304).end();
    }
    res.writeHead(200, { 'content-type': 'text/calendar', ...(f.etag ? { etag: f.etag } : {}) }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  env = await createTestEnv();
  const dav = new URL(svc().caldav.url);
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port },
        { host: dav.hostname, port: Number(dav.port) },
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

describe('recurrence and time zones', () => {
  it('expands weekly events across a daylight-saving change, with EXDATE and a moved instance', () => {
    const cal = parseCalendar(CHOIR, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-05-01T00:00:00Z') });
    const choir = cal.events.find((e) => e.uid === 'choir@test')!;
    expect(choir.occurrences.map((o) => [o.startsAt.toISOString(), o.summary])).toEqual([
      ['2026-03-17T18:00:00.000Z', 'Choir'], // CET, UTC+1
      ['2026-03-31T18:00:00.000Z', 'Choir (late)'], // moved to 20:00 CEST, UTC+2
      ['2026-04-07T17:00:00.000Z', 'Choir'], // 19:00 CEST
      ['2026-04-14T17:00:00.000Z', 'Choir'],
    ]);
    expect(choir.occurrences[0]!.endsAt.toISOString()).toBe('2026-03-17T19:30:00.000Z');
    expect(cal.events.find((e) => e.uid === 'holiday@test')!.occurrences[0]).toMatchObject({ allDay: true });
    expect(cal.problems).toEqual([]);
  });

  it('skips an event without a start, shows an unknown zone as UTC, and cuts an endless rule, keeping the rest', () => {
    const cal = parseCalendar(BROKEN, { from: new Date('2026-03-10T00:00:00Z'), to: new Date('2026-03-13T00:00:00Z') });
    expect(cal.events.map((e) => e.uid).sort()).toEqual(['fine@test', 'forever@test', 'mars@test']);
    expect(cal.problems).toEqual([
      expect.stringMatching(/"No start" was skipped: it has no start time/),
      expect.stringMatching(/"Rover check" uses an unknown time zone "Mars\/Olympus_Mons"/),
      expect.stringMatching(/"Every minute since 1970" repeats so often/),
    ]);
    expect(cal.events.find((e) => e.uid === 'mars@test')!.occurrences[0]!.startsAt.toISOString()).toBe('2026-03-12T09:00:00.000Z');
  });
});

describe('an ICS calendar feed', () => {
  it('indexes its events, raises upcoming events with their start, uses conditional GET, and raises a change', async () => {
    files['/family.ics'] = { body: CHOIR, etag: '"v1"' };
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const url = `http://127.0.0.1:${port}/family.ics`;
    const t = await client.ok(C.testConnector, { body: { kind: 'ics', name: 'Family', visibility: 'private', url } });
    expect(t).toMatchObject({ ok: true, message: 'Found the calendar "Family" with 3 events.' });
    const { id } = await client.ok(C.createConnector, { body: { kind: 'ics', name: 'Family', visibility: 'private', url } });
    const first = await synced(client, id);
    expect(first.health).toMatchObject({ phase: 'live', itemErrors: 0, lastError: null });
    const week = await occurrences(spaceId, accountId, '2026-03-10T00:00:00Z', '2026-04-10T00:00:00Z');
    expect(week.events.map((e) => [e.summary, e.startsAt])).toEqual([
      ['Dentist', '2026-03-11T10:00:00.000Z'],
      ['Choir', '2026-03-17T18:00:00.000Z'],
      ['Spring holiday', '2026-03-20T00:00:00.000Z'],
      ['Choir (late)', '2026-03-31T18:00:00.000Z'],
      ['Choir', '2026-04-07T17:00:00.000Z'],
    ]);
    expect(week.events[0]!.writable).toBe(false);
    // The dentist (tomorrow) is upcoming; the choir on the 17th is more than 7 days away.
    const upcoming = await env.deps.db
      .selectFrom('agent_event')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('type', '=', 'calendar.event_upcoming')
      .execute();
    expect(upcoming.map((e) => (e.data as { startsAt: string }).startsAt)).toEqual(['2026-03-11T10:00:00.000Z']);
    const reads = await env.deps.db
      .selectFrom('activity')
      .select('summary')
      .where('space_id', '=', spaceId)
      .where('kind', '=', 'connector.read')
      .execute();
    expect(reads).toHaveLength(1);

    // Unchanged: the server answers 304 and nothing is raised.
    const before = notModified;
    await client.ok(C.syncConnector, { params: { connectorId: id } });
    await eventually(async () => notModified > before, 'a conditional GET answered 304');
    // Changed: the event is updated and `calendar.event_changed` raised.
    files['/family.ics'] = { body: CHOIR.replace('SUMMARY:Dentist', 'SUMMARY:Dentist (bring card)'), etag: '"v2"' };
    await client.ok(C.syncConnector, { params: { connectorId: id } });
    const changed = await eventually(async () => {
      const r = await env.deps.db
        .selectFrom('agent_event')
        .selectAll()
        .where('space_id', '=', spaceId)
        .where('type', '=', 'calendar.event_changed')
        .execute();
      return r.length ? r : undefined;
    }, 'calendar.event_changed');
    expect(changed).toHaveLength(1);
    expect((await occurrences(spaceId, accountId, '2026-03-11T00:00:00Z', '2026-03-12T00:00:00Z')).events[0]!.summary).toBe(
      'Dentist (bring card)',
    );
  });

  it('keeps what it can read of a malformed calendar and says what it skipped', async () => {
    files['/broken.ics'] = { body: BROKEN };
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const { id } = await client.ok(C.createConnector, {
      body: { kind: 'ics', name: 'Odd', visibility: 'private', url: `http://127.0.0.1:${port}/broken.ics` },
    });
    const v = await synced(client, id);
    expect(v.health.itemErrors).toBe(3);
    expect(v.health.lastError).toMatch(/3 events could not be read fully: "No start" was skipped/);
    expect(v.health.needsAttention).toBe(false);
    const evs = await occurrences(spaceId, accountId, '2026-03-12T00:00:00Z', '2026-03-13T00:00:00Z');
    expect(evs.events.map((e) => e.summary)).toContain('Still fine');
  });

  it('refuses an address that is not a calendar, and one the guard does not allow', async () => {
    files['/page.html'] = { body: '<!doctype html><html><body>Hello</body></html>' };
    const { client } = await signedUpClient(await env.app());
    const r = await client.call(C.createConnector, {
      body: { kind: 'ics', name: 'Page', visibility: 'private', url: `http://127.0.0.1:${port}/page.html` },
    });
    expect(r.status).toBe(400);
    expect(r.error?.message).toMatch(/not a calendar/);
    const guard = await client.ok(C.testConnector, {
      body: { kind: 'ics', name: 'Meta', visibility: 'private', url: 'http://169.254.169.254/latest/meta-data/' },
    });
    expect(guard).toMatchObject({ ok: false });
    expect(guard.message).toMatch(/metadata/);
  });
});

describe('a CalDAV calendar (Radicale)', () => {
  it('syncs, and creates (once per key), changes and deletes events on the server', async () => {
    const user = `cal${Date.now().toString(36)}`;
    addTestCalendarUser(svc(), user, 'dav-secret');
    const direct = await createDAVClient({
      serverUrl: svc().caldav.url,
      credentials: { username: user, password: 'dav-secret' },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
    });
    const calUrl = `${svc().caldav.url}${user}/home/`;
    await direct.makeCalendar({ url: calUrl, props: { displayname: 'Home' } });
    const [cal] = await direct.fetchCalendars();
    await direct.createCalendarObject({
      calendar: cal!,
      filename: 'standup.ics',
      iCalString:
        'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:standup@test\r\nDTSTAMP:20260301T000000Z\r\nDTSTART;TZID=America/New_York:20260312T090000\r\nDTEND;TZID=America/New_York:20260312T091500\r\nSUMMARY:Stand-up\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
    });

    const { client, spaceId, accountId, email } = await signedUpClient(await env.app());
    const body = {
      kind: 'caldav' as const,
      name: 'Home calendar',
      visibility: 'private' as const,
      url: svc().caldav.url,
      username: user,
      password: 'dav-secret',
    };
    expect((await client.call(C.createConnector, { body })).status).toBe(402);
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    expect(await client.ok(C.testConnector, { body: { ...body, password: 'nope' } })).toMatchObject({
      ok: false,
      details: { reason: 'auth' },
    });
    const { id } = await client.ok(C.createConnector, { body });
    await synced(client, id);
    const evs = await occurrences(spaceId, accountId, '2026-03-12T00:00:00Z', '2026-03-13T00:00:00Z');
    // 09:00 in New York after the US change to daylight time (March 8): 13:00 UTC.
    expect(evs.events.map((e) => [e.summary, e.startsAt, e.writable])).toEqual([['Stand-up', '2026-03-12T13:00:00.000Z', true]]);

    const run = async (skill: string, input: unknown, key: string) =>
      invokeSkill(
        findSkill(env.deps.modules, skill)!,
        await createSkillContext(systemCtx(env.deps), { spaceId, accountId, idempotencyKey: key }),
        input,
      ) as Promise<Record<string, string>>;
    const input = { summary: 'Study session', startsAt: '2026-03-13T16:00:00Z', endsAt: '2026-03-13T17:30:00Z', location: 'Library' };
    const created = await run('calendar.create-event', input, 'create-1');
    const again = await run('calendar.create-event', input, 'create-1');
    expect(again.uid).toBe(created.uid);
    const objects = async () => (await direct.fetchCalendarObjects({ calendar: cal! })).map((o) => o.data as string);
    expect((await objects()).filter((d) => d.includes('Study session'))).toHaveLength(1);
    await run(
      'calendar.update-event',
      { eventId: created.eventId, summary: 'Study session: chapter 3', startsAt: '2026-03-13T17:00:00Z', endsAt: '2026-03-13T18:00:00Z' },
      'update-1',
    );
    const updated = (await objects()).find((d) => d.includes('chapter 3'))!;
    expect(updated).toMatch(/DTSTART:20260313T170000Z/);
    expect((await occurrences(spaceId, accountId, '2026-03-13T00:00:00Z', '2026-03-14T00:00:00Z')).events.map((e) => e.summary)).toEqual([
      'Study session: chapter 3',
    ]);
    await run('calendar.delete-event', { eventId: created.eventId }, 'delete-1');
    expect((await objects()).filter((d) => d.includes('Study session'))).toHaveLength(0);
    expect((await occurrences(spaceId, accountId, '2026-03-13T00:00:00Z', '2026-03-14T00:00:00Z')).events).toEqual([]);
  });
});
