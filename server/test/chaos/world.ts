import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import * as C from '@csme/contracts/connectors';
import * as P from '@csme/contracts/packs';
import type { FastifyInstance } from 'fastify';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { createDAVClient } from 'tsdav';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/core/config.js';
import { systemCtx } from '../../src/core/ctx.js';
import { egressSetting } from '../../src/core/egress.js';
import { fromSources, generateKeysFile, keysAsEnv } from '../../src/core/keys.js';
import { createLogger } from '../../src/core/logger.js';
import { buildDeps, type Deps } from '../../src/deps.js';
import { setSpacePlan } from '../../src/modules/admin/index.js';
import { syncBuiltinPacks } from '../../src/modules/packs/index.js';
import { eventually, signedUpClient, type TestClient } from '../harness.js';
import { addTestCalendarUser, addTestMailUser, type TestServices } from '../services/services.js';

/**
 * The fault suite's world: this process's deps and API (as a `--role api` process would have them),
 * on a database the suite was given, with the real IMAP/SMTP/CalDAV servers, and the means to look
 * at what those servers and the tasks table received afterwards.
 */

const FIXTURE_PACKS = resolve(import.meta.dirname, 'fixtures');
export const ROOT = resolve(import.meta.dirname, '../../..');

/** mulberry32: a small seeded generator, so a schedule of faults can be replayed from its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [lo, hi]. */
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

export interface World {
  readonly deps: Deps;
  readonly databaseUrl: string;
  readonly services: TestServices['info'];
  /** Environment for `csme serve` child processes: the same keys and database as this process. */
  readonly childEnv: Record<string, string>;
  readonly dir: string;
  /** Warnings and errors this process logged (the last few hundred), for a failing scenario's report. */
  readonly logs: string[];
  app(): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export async function openWorld(o: { databaseUrl: string; services: TestServices['info'] }): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'csme-chaos-'));
  const keysFile = generateKeysFile();
  const keys = fromSources({}, keysFile);
  const keyEnv = Object.fromEntries(
    keysAsEnv(keysFile)
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      if (logs.length > 400) logs.shift();
      cb();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    CSME_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    CSME_PUBLIC_URL: 'http://csme.test',
    CSME_DB_ACQUIRE_TIMEOUT_MS: '30000',
  });
  const deps = buildDeps({
    config,
    keys,
    databaseUrl: o.databaseUrl,
    log: createLogger({ level: 'warn', pretty: false, destination }),
    poolMax: 12,
    defaultMetrics: false,
    applicationName: 'csme-chaos',
  });
  const ctx = systemCtx(deps);
  await syncBuiltinPacks(ctx);
  await syncBuiltinPacks(ctx, FIXTURE_PACKS);
  // The agents reach the local mail and calendar servers: the allow list holds exactly their host:port pairs.
  const dav = new URL(o.services.caldav.url);
  await deps.settings.set(
    deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port: o.services.imap.port },
        { host: '127.0.0.1', port: o.services.smtp.port },
        { host: '127.0.0.1', port: Number(dav.port) },
      ],
    },
    null,
  );
  let app: FastifyInstance | null = null;
  const childEnv: Record<string, string> = {
    ...keyEnv,
    DATABASE_URL: o.databaseUrl,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    CSME_DATA_DIR: dir,
    CSME_PUBLIC_URL: 'http://csme.test',
    CSME_DB_ACQUIRE_TIMEOUT_MS: '30000',
    // A frozen worker's open transaction must not hold the space's locks for long.
    CSME_DB_IDLE_TX_TIMEOUT_MS: '10000',
  };
  return {
    deps,
    databaseUrl: o.databaseUrl,
    services: o.services,
    childEnv,
    dir,
    logs,
    async app() {
      if (!app) {
        app = await buildApp(deps, { webDist: null });
        await app.ready();
      }
      return app;
    },
    async close() {
      await app?.close();
      await deps.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let people = 0;

/** A person of the suite: a Pro space with the chaos packs' connectors (their own mailbox and calendar). */
export interface Person {
  client: TestClient;
  spaceId: string;
  accountId: string;
  email: string;
  /** The Dovecot login the email connector sends from (its Sent folder keeps the copies). */
  mailbox: { user: string; password: string };
  calendar: { user: string; password: string; url: string };
  /** Where the agent's emails go: an address only this person's runs write to. */
  recipient: string;
  agents: Record<string, string>;
}

async function canLogin(services: TestServices['info'], m: { user: string; password: string }): Promise<boolean> {
  const c = new ImapFlow({
    host: services.imap.host,
    port: services.imap.port,
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

/**
 * Signs a person up, gives the space Pro, connects a mailbox and a CalDAV calendar, and installs `packs`.
 * `via` sends the connectors' SMTP and CalDAV traffic through other ports (a faulty proxy).
 */
export async function newPerson(world: World, packs: string[], via: { smtpPort?: number; caldavPort?: number } = {}): Promise<Person> {
  const tag = `${Date.now().toString(36)}${(people++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const { client, spaceId, accountId, email } = await signedUpClient(await world.app(), { name: 'Chaos Person' });
  await setSpacePlan(systemCtx(world.deps), email, 'pro');
  const mailbox = { user: `chaos${tag}@example.test`, password: `pw-${tag}` };
  const calendar = { user: `chaos${tag}`, password: `dav-${tag}`, url: `${world.services.caldav.url}chaos${tag}/chaos/` };
  if (packs.includes('chaos-effects')) {
    addTestMailUser(world.services, mailbox.user, mailbox.password);
    addTestCalendarUser(world.services, calendar.user, calendar.password);
    await eventually(() => canLogin(world.services, mailbox), 'Dovecot to know the new mailbox', 60_000, 200);
    const dav = await createDAVClient({
      serverUrl: world.services.caldav.url,
      credentials: { username: calendar.user, password: calendar.password },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
    });
    await dav.makeCalendar({ url: calendar.url, props: { displayname: 'Chaos' } });
    await client.ok(C.createConnector, {
      body: {
        kind: 'email',
        name: 'Chaos mail',
        visibility: 'private',
        imap: { host: world.services.imap.host, port: world.services.imap.port, tls: 'none' },
        smtp: { host: world.services.smtp.host, port: via.smtpPort ?? world.services.smtp.port, tls: 'none' },
        username: mailbox.user,
        password: mailbox.password,
      },
    });
    await client.ok(C.createConnector, {
      body: {
        kind: 'caldav',
        name: 'Chaos calendar',
        visibility: 'private',
        url: via.caldavPort ? world.services.caldav.url.replace(/:\d+\//, `:${via.caldavPort}/`) : world.services.caldav.url,
        username: calendar.user,
        password: calendar.password,
      },
    });
  }
  const agents: Record<string, string> = {};
  for (const packId of packs) {
    const manifest = JSON.parse(readFileSync(join(FIXTURE_PACKS, packId, 'pack.json'), 'utf8')) as { scopes: string[] };
    const inst = await client.ok(P.installPack, { params: { packId }, body: { settings: {}, grantedScopes: manifest.scopes } });
    for (const a of inst.agents) agents[a.key] = a.id;
  }
  return { client, spaceId, accountId, email, mailbox, calendar, recipient: `sink-${tag}@elsewhere.test`, agents };
}

// ---------------------------------------------------------------- what the far side received

const count = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

/** Task titles in the space, with how many tasks carry each. */
export async function tasksByTitle(world: World, spaceId: string): Promise<Map<string, number>> {
  const rows = await sql<{ title: string }>`select title from task where space_id = ${spaceId}`.execute(world.deps.db);
  return count(rows.rows.map((r) => r.title));
}

/** The SUMMARY of every object in the person's CalDAV collection, as Radicale holds them. */
export async function calendarSummaries(world: World, p: Person): Promise<Map<string, number>> {
  const dav = await createDAVClient({
    serverUrl: world.services.caldav.url,
    credentials: { username: p.calendar.user, password: p.calendar.password },
    authMethod: 'Basic',
    defaultAccountType: 'caldav',
  });
  const cal = (await dav.fetchCalendars()).find((c) => c.url === p.calendar.url || c.url.endsWith(`/${p.calendar.user}/chaos/`));
  if (!cal) throw new Error(`the calendar ${p.calendar.url} is gone`);
  const objects = await dav.fetchCalendarObjects({ calendar: cal });
  return count(objects.map((o) => /^SUMMARY:(.*)$/m.exec(String(o.data))?.[1]?.trim() ?? '(no summary)'));
}

/** Messages the SMTP server accepted for the person's recipient: by subject and by Message-ID. */
export function smtpReceived(world: World, p: Person): { bySubject: Map<string, number>; byMessageId: Map<string, number> } {
  const lines = readFileSync(world.services.smtp.received, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { to: string; messageId: string; file: string })
    .filter((l) => l.to === p.recipient);
  const subjects = lines.map((l) => {
    const head = readFileSync(l.file, 'utf8').split(/\r?\n\r?\n/)[0] ?? '';
    return /^subject:\s*(.*)$/im.exec(head)?.[1]?.trim() ?? '(no subject)';
  });
  return { bySubject: count(subjects), byMessageId: count(lines.map((l) => l.messageId)) };
}

/** Subjects of the copies in the sending mailbox's Sent folder. */
export async function sentCopies(world: World, p: Person): Promise<Map<string, number>> {
  const c = new ImapFlow({
    host: world.services.imap.host,
    port: world.services.imap.port,
    secure: false,
    auth: { user: p.mailbox.user, pass: p.mailbox.password },
    logger: false,
  });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('Sent');
    try {
      const subjects: string[] = [];
      const status = await c.status('Sent', { messages: true });
      if (status && (status.messages ?? 0) > 0)
        for await (const m of c.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
      return count(subjects);
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => c.close());
  }
}
