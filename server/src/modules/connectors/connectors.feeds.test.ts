import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as C from '@csme/contracts/connectors';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { type Dialer, egressSetting, type Resolver } from '#core/egress.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { connectorsSetting } from './connectors.config.js';
import { runSync, scheduleSyncsJob } from './connectors.jobs.js';

// Feeds and outgoing HTTP against a local HTTP server (the only host:port on the allow list), and the
// egress guard on every connector path. DNS is answered by an injected resolver, and the dialer lets
// through only connections to the local server: anything else is recorded and never dialled.

let env: TestEnv;
let server: Server;
let port: number;
const hits: Array<{ url: string; headers: Record<string, unknown>; body: string }> = [];
const dials: string[] = [];
let feedXml = '';
let feedEtag = '"f1"';
let hangSlow = false;
let hangingNow = 0;
const resolved: string[] = [];

const answers: Record<string, string> = {
  'feeds.test': '127.0.0.1',
  'loop.test': '127.0.0.1',
  'intranet.test': '10.1.2.3',
  'meta.test': '169.254.169.254',
  'mapped.test': '::ffff:127.0.0.1',
};
const resolver: Resolver = async (name) => {
  resolved.push(name);
  const a = answers[name];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return [{ address: a, family: a.includes(':') ? 6 : 4 }];
};

function rss(items: Array<{ guid: string; title: string }>) {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>School news</title><link>http://feeds.test/</link><description>x</description>${items
    .map(
      (i) =>
        `<item><guid>${i.guid}</guid><title>${i.title}</title><link>http://feeds.test/${i.guid}</link><pubDate>Mon, 09 Mar 2026 08:00:00 GMT</pubDate><description>About ${i.title}</description></item>`,
    )
    .join('')}</channel></rss>`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      hits.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/slow.xml') {
        if (!hangSlow) return res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feedXml);
        hangingNow++;
        res.on('close', () => hangingNow--);
        return;
      }
      if (req.url === '/feed.xml') {
        if (req.headers['if-none-match'] === feedEtag) return res.writeHead(304).end();
        return res.writeHead(200, { 'content-type': 'application/rss+xml', etag: feedEtag }).end(feedXml);
      }
      if (req.url === '/atom.xml')
        return res
          .writeHead(200, { 'content-type': 'application/atom+xml' })
          .end(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:b</id><updated>2026-03-09T00:00:00Z</updated><entry><id>urn:e1</id><title>First post</title><updated>2026-03-09T00:00:00Z</updated><link href="http://feeds.test/p1"/></entry></feed>',
          );
      if (req.url === '/json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a feed"}');
      if (req.url === '/html')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>A site</body></html>');
      if (req.url === '/redirect-inside') return res.writeHead(302, { location: 'http://intranet.test/admin' }).end();
      if (req.url?.startsWith('/api/'))
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, path: req.url }));
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const { buildConnector } = await import('undici');
  const real = buildConnector({ timeout: 5_000 }) as unknown as Dialer;
  const dialer: Dialer = (opts, cb) => {
    dials.push(`${opts.hostname}:${opts.port}`);
    if (opts.hostname === '127.0.0.1' && Number(opts.port) === port) return real(opts, cb);
    cb(Object.assign(new Error('test dialer refuses'), { code: 'ECONNREFUSED' }), null);
  };
  env = await createTestEnv({ resolver, dialer });
  // Exactly the local server's name and port; the guard still refuses every other internal name.
  await env.deps.settings.set(env.deps.db, egressSetting, { allow: [{ host: 'feeds.test', port }] }, null);
  await env.worker();
});
afterAll(async () => {
  await env.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function synced(client: TestClient, id: string) {
  return eventually(async () => {
    const v = await client.ok(C.getConnector, { params: { connectorId: id } });
    return v.health.lastSyncAt && v.health.phase !== 'pending' ? v : undefined;
  }, 'a sync of the feed');
}

describe('RSS and Atom feeds', () => {
  it('indexes a feed quietly, then raises feed.item for each new item, with conditional GET in between', async () => {
    feedXml = rss([
      { guid: 'a1', title: 'Term dates' },
      { guid: 'a2', title: 'Sports day' },
    ]);
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const url = `http://feeds.test:${port}/feed.xml`;
    expect(await client.ok(C.testConnector, { body: { kind: 'feed', name: 'School', visibility: 'private', url } })).toMatchObject({
      ok: true,
      message: 'Found the feed "School news" with 2 items.',
    });
    const { id } = await client.ok(C.createConnector, { body: { kind: 'feed', name: 'School', visibility: 'private', url } });
    await synced(client, id);
    const events = () =>
      env.deps.db.selectFrom('agent_event').selectAll().where('space_id', '=', spaceId).where('type', '=', 'feed.item').execute();
    expect(await events()).toHaveLength(0);
    // Nothing changed: 304.
    const before = hits.filter((h) => h.url === '/feed.xml').length;
    // (If the first sync still holds the connector, this asks it to go round once more.)
    await runSync(systemCtx(env.deps), spaceId, id);
    await eventually(async () => hits.filter((h) => h.url === '/feed.xml').length > before, 'a second request');
    const last = hits.filter((h) => h.url === '/feed.xml').at(-1)!;
    expect(last.headers['if-none-match']).toBe('"f1"');
    // A new item.
    feedXml = rss([
      { guid: 'a3', title: 'Trip to the museum' },
      { guid: 'a1', title: 'Term dates' },
      { guid: 'a2', title: 'Sports day' },
    ]);
    feedEtag = '"f2"';
    await runSync(systemCtx(env.deps), spaceId, id);
    const evs = await eventually(async () => {
      const e = await events();
      return e.length ? e : undefined;
    }, 'feed.item');
    expect(evs).toHaveLength(1);
    // The scheduler queues a poll once the feed's interval (30 minutes) has passed, not before.
    const polls = () => hits.filter((h) => h.url === '/feed.xml').length;
    const queued = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from graphile_worker.jobs where task_identifier = 'connectors.sync-connector' and key = ${`connector-sync:${id}`}`.execute(
            env.deps.db,
          )
        ).rows[0]!.n,
      );
    await scheduleSyncsJob.handler(
      systemCtx(env.deps),
      {},
      { jobId: 'x', attempts: 1, maxAttempts: 1, signal: new AbortController().signal },
    );
    expect(await queued()).toBe(0);
    const before2 = polls();
    (env.clock as ManualClock).advance(31 * 60_000);
    await scheduleSyncsJob.handler(
      systemCtx(env.deps),
      {},
      { jobId: 'x', attempts: 1, maxAttempts: 1, signal: new AbortController().signal },
    );
    await eventually(async () => polls() > before2, 'the scheduled poll');
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
    const listed = (await invokeSkill(findSkill(env.deps.modules, 'feeds.list-items')!, sctx, { limit: 10 })) as {
      items: Array<{ id: string; title: string }>;
    };
    expect(listed.items.map((i) => i.title).sort()).toEqual(['Sports day', 'Term dates', 'Trip to the museum']);
    expect(listed.items.find((i) => i.title === 'Trip to the museum')!.id).toBe((evs[0]!.data as { itemId: string }).itemId);
  });

  it('reads Atom, and refuses JSON or a web page in plain words', async () => {
    const { client } = await signedUpClient(await env.app());
    expect(
      await client.ok(C.testConnector, {
        body: { kind: 'feed', name: 'Blog', visibility: 'private', url: `http://feeds.test:${port}/atom.xml` },
      }),
    ).toMatchObject({ ok: true, message: 'Found the feed "Blog" with 1 items.' });
    const json = await client.ok(C.testConnector, {
      body: { kind: 'feed', name: 'J', visibility: 'private', url: `http://feeds.test:${port}/json` },
    });
    expect(json).toMatchObject({ ok: false });
    expect(json.message).toMatch(/not XML/);
    const html = await client.ok(C.testConnector, {
      body: { kind: 'feed', name: 'H', visibility: 'private', url: `http://feeds.test:${port}/html` },
    });
    expect(html.message).toMatch(/web page, not a feed/);
  });
});

describe('the egress guard on every connector path', () => {
  it('refuses internal addresses for feeds, calendars, CalDAV, IMAP/SMTP and HTTP without connecting', async () => {
    const { client, email } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    dials.length = 0;
    const bad = [
      'http://loop.test/feed.xml',
      'http://intranet.test/feed.xml',
      'http://meta.test/latest/meta-data/',
      'http://mapped.test/',
      'http://127.0.0.1/',
      'http://[::1]/',
      'http://2130706433/',
      'http://0x7f.0.0.1/',
      'http://169.254.169.254/',
      'http://localhost./',
      `http://feeds.test:${port}/redirect-inside`,
    ];
    for (const url of bad) {
      for (const kind of ['feed', 'ics'] as const) {
        const r = await client.ok(C.testConnector, { body: { kind, name: 'x', visibility: 'private', url } });
        expect(r.ok, `${kind} ${url}`).toBe(false);
      }
      const dav = await client.ok(C.testConnector, {
        body: { kind: 'caldav', name: 'x', visibility: 'private', url, username: 'u', password: 'canary-dav-secret' },
      });
      expect(dav.ok, `caldav ${url}`).toBe(false);
    }
    for (const host of ['loop.test', 'intranet.test', 'meta.test', '127.0.0.1', '::1', '10.0.0.1', '0177.0.0.1']) {
      const r = await client.ok(C.testConnector, {
        body: {
          kind: 'email',
          name: 'x',
          visibility: 'private',
          imap: { host, port: 993, tls: 'tls' },
          smtp: { host, port: 465, tls: 'tls' },
          username: 'u',
          password: 'canary-mail-secret',
        },
      });
      expect(r.ok, `email ${host}`).toBe(false);
    }
    // The only connections made went to the allowed local server (the redirect's first hop).
    expect(new Set(dials)).toEqual(new Set([`127.0.0.1:${port}`]));
    expect(env.logs.join('\n')).not.toMatch(/canary-(dav|mail)-secret/);
  });
});

describe('outgoing HTTP', () => {
  it('calls only addresses the person allowed, with its header, and refuses others', async () => {
    const { client, spaceId, accountId, email } = await signedUpClient(await env.app());
    const body = {
      kind: 'http' as const,
      name: 'Invoices API',
      visibility: 'private' as const,
      allow: [`http://feeds.test:${port}/api/`],
      headerName: 'Authorization',
      headerValue: 'Bearer canary-http-token',
    };
    expect((await client.call(C.createConnector, { body })).status).toBe(402);
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const made = await client.ok(C.createConnector, { body });
    expect(JSON.stringify(made)).not.toContain('canary-http-token');
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId, idempotencyKey: 'http-1' });
    const got = (await invokeSkill(findSkill(env.deps.modules, 'http.get')!, sctx, { url: `http://feeds.test:${port}/api/items?x=1` })) as {
      status: number;
      json: unknown;
    };
    expect(got).toMatchObject({ status: 200, json: { ok: true, path: '/api/items?x=1' } });
    expect(hits.at(-1)!.headers.authorization).toBe('Bearer canary-http-token');
    const posted = await invokeSkill(findSkill(env.deps.modules, 'http.request')!, sctx, {
      method: 'POST',
      url: `http://feeds.test:${port}/api/invoices`,
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(posted).toMatchObject({ status: 200 });
    expect(hits.at(-1)).toMatchObject({ body: '{"n":1}', headers: expect.objectContaining({ 'idempotency-key': 'http-1' }) });
    await expect(
      invokeSkill(findSkill(env.deps.modules, 'http.get')!, sctx, { url: `http://feeds.test:${port}/admin` }),
    ).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(invokeSkill(findSkill(env.deps.modules, 'http.get')!, sctx, { url: 'http://intranet.test/api/' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    const reads = await env.deps.db
      .selectFrom('activity')
      .select('summary')
      .where('space_id', '=', spaceId)
      .where('kind', '=', 'connector.read')
      .execute();
    expect(reads.map((r) => r.summary)).toEqual([`Fetched feeds.test:${port}/api/items (200)`]);
  });
});

describe('isolation', () => {
  it('a feed whose server hangs does not stall another space’s sync, and ends with a clear error', async () => {
    await env.deps.settings.set(env.deps.db, connectorsSetting, { ...connectorsSetting.defaults, fetchTimeoutSeconds: 3 }, null);
    feedXml = rss([{ guid: 'b1', title: 'Hello' }]);
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const slow = await a.client.ok(C.createConnector, {
      body: { kind: 'feed', name: 'Slow', visibility: 'private', url: `http://feeds.test:${port}/slow.xml` },
    });
    await synced(a.client, slow.id);
    hangSlow = true;
    await a.client.ok(C.syncConnector, { params: { connectorId: slow.id } });
    await eventually(
      async () => hits.some((h) => h.url === '/slow.xml' && h.headers['x-hang'] === undefined && hangingNow > 0),
      'the slow server to hang',
    );
    const ok = await b.client.ok(C.createConnector, {
      body: { kind: 'feed', name: 'News', visibility: 'private', url: `http://feeds.test:${port}/feed.xml` },
    });
    const v = await synced(b.client, ok.id);
    expect(v.health.lastError).toBeNull();
    // Space B was served while A's server still hung.
    expect(hangingNow).toBeGreaterThan(0);
    const failed = await eventually(async () => {
      const c = await a.client.ok(C.getConnector, { params: { connectorId: slow.id } });
      return c.health.lastError ? c : undefined;
    }, 'the hanging sync to give up');
    expect(failed.health.lastError).toMatch(/did not answer in time/);
    expect(failed.health.needsAttention).toBe(false);
    hangSlow = false;
  });
});
