import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as A from '@csme/contracts/accounts';
import * as AD from '@csme/contracts/admin';
import * as C from '@csme/contracts/connectors';
import * as M from '@csme/contracts/models';
import * as P from '@csme/contracts/packs';
import * as R from '@csme/contracts/runs';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { createDatabase } from '#core/db.js';
import { egressSetting } from '#core/egress.js';
import { newId } from '#core/ids.js';
import { fromSources, generateKeysFile, type KeysFile, keysAsEnv, writeKeysFile } from '#core/keys.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { Vault, VaultError } from '#core/vault.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { recordFigures } from './figures.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from './harness.js';
import { addTestCalendarUser, addTestMailUser } from './services/services.js';

/**
 * The secrets suite: recognisable secrets are planted in every place a secret enters the platform
 * (passwords, connector credentials, an outgoing HTTP header, a personal model key, the operator's
 * SMTP and Stripe keys, a TOTP seed), every failure path those secrets take is run, and then the
 * logs, every API response, every job payload ever queued, every row of the database (as text and as
 * hex, so plaintext hidden in a bytea is found too) and the built web app are scanned.
 * Must hold: 0 hits. Also: a ciphertext copied to another space does not decrypt, and key rotation
 * survives kill -9 half way.
 */

const root = resolve(import.meta.dirname, '../..');
const canary = (what: string) => `CANARY${what}${randomBytes(6).toString('hex')}`;
const S = {
  password: canary('password'),
  wrongPassword: canary('wrongpassword'),
  newPassword: canary('newpassword'),
  mail: canary('mail'),
  wrongMail: canary('wrongmail'),
  moved: canary('moved'),
  dav: canary('dav'),
  wrongDav: canary('wrongdav'),
  http: `Bearer ${canary('http')}`,
  model: `sk-${canary('model')}`,
  operatorModel: `sk-${canary('operatormodel')}`,
  smtp: canary('smtp'),
  stripe: `sk_test_${canary('stripe')}`,
  stripeHook: `whsec_${canary('stripehook')}`,
};
/** Secrets the platform makes (a TOTP seed), found during the run; shown once to their owner by design. */
const made: Record<string, string> = {};

const svc = () => inject('services');
const keysFile: KeysFile = generateKeysFile();
let env: TestEnv;
let app: FastifyInstance;
let upstream: Server;
let upstreamPort: number;
let closedPort: number;
const upstreamHits: Array<{ url: string; auth: string | undefined }> = [];
/** Every response body and header set the API sent, with the address asked for. */
const responses: Array<{ url: string; text: string }> = [];

let operator: TestClient;
let person: Awaited<ReturnType<typeof signedUpClient>>;
let other: Awaited<ReturnType<typeof signedUpClient>>;

function allSecrets(): string[] {
  return [...Object.values(S), ...Object.values(made)];
}

/** Where a secret shows up in `text`, as itself or hex-encoded (a bytea or a Buffer printed as hex). */
function hits(text: string, where: string): string[] {
  const out: string[] = [];
  const lower = text.toLowerCase();
  for (const s of allSecrets()) {
    const core = s.replace(/^(Bearer |sk-|sk_test_|whsec_)/, '');
    if (text.includes(core)) out.push(`${where}: ${s}`);
    else if (lower.includes(Buffer.from(core).toString('hex'))) out.push(`${where}: ${s} (hex)`);
  }
  return out;
}

async function closedTcpPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function writeModelPack(dir: string) {
  mkdirSync(join(dir, 'secret-reader'), { recursive: true });
  writeFileSync(
    join(dir, 'secret-reader/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'secret-reader',
      version: '1.0.0',
      platform: '>=1.0.0',
      name: 'Bill reader',
      description: 'Turns a bill into a task title.',
      persona: 'anyone',
      icon: '🧾',
      scopes: ['model', 'tasks:read'],
      agents: [
        {
          id: 'read-bill',
          name: 'Read a bill',
          description: 'Reads the text.',
          triggers: [{ type: 'manual' }],
          steps: [
            {
              id: 'understand',
              model: {
                system: 'Extract a task from a bill.',
                prompt: 'Bill: {{$.trigger.text}}',
                output: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
              },
              fallback: { skill: 'tasks.digest', input: { tasks: [] } },
            },
          ],
        },
      ],
    }),
  );
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = req.headers.authorization;
      upstreamHits.push({ url: req.url ?? '', auth });
      if (req.url?.startsWith('/v1/')) {
        // Like OpenAI: a refused key is named by its last four characters only.
        return res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { message: `Incorrect API key provided: sk-****${(auth ?? '').slice(-4)}`, type: 'invalid_request_error' },
          }),
        );
      }
      if (req.url === '/api/fail') return res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as { port: number }).port;
  closedPort = await closedTcpPort();

  env = await createTestEnv({ keys: fromSources({}, keysFile) });
  const packs = mkdtempSync(join(tmpdir(), 'csme-secrets-packs-'));
  writeModelPack(packs);
  await syncBuiltinPacks(systemCtx(env.deps), packs);
  // Every job payload ever queued is kept for the scan (finished jobs leave the queue).
  await sql`create table secret_scan_job (payload text not null)`.execute(env.deps.db);
  await sql`create function secret_scan_job_copy() returns trigger language plpgsql as $$
    begin insert into public.secret_scan_job (payload) values (new.payload::text); return new; end $$`.execute(env.deps.db);
  await sql`create trigger secret_scan_job_copy after insert on graphile_worker._private_jobs
    for each row execute function secret_scan_job_copy()`.execute(env.deps.db);
  await env.deps.settings.set(
    env.deps.db,
    egressSetting,
    {
      allow: [
        { host: '127.0.0.1', port: svc().imap.port },
        { host: '127.0.0.1', port: svc().smtp.port },
        { host: '127.0.0.1', port: Number(new URL(svc().caldav.url).port) },
        { host: '127.0.0.1', port: upstreamPort },
        { host: '127.0.0.1', port: closedPort },
      ],
    },
    null,
  );
  app = await env.app();
  type Inject = (opts: { url?: string } | string) => Promise<{ headers: unknown; body: string }>;
  const target = app as unknown as { inject: Inject };
  const inject0 = target.inject.bind(app);
  // Record what the API answers: every body and header, to scan for the secrets afterwards.
  target.inject = async (opts) => {
    const res = await inject0(opts);
    responses.push({ url: typeof opts === 'string' ? opts : (opts.url ?? ''), text: `${JSON.stringify(res.headers)}\n${res.body}` });
    return res;
  };
  await env.worker();
  // The first account of an instance is its operator.
  operator = (await signedUpClient(app, { name: 'Olga Operator' })).client;
  person = await signedUpClient(app, { name: 'Sam Secret', password: S.password });
  other = await signedUpClient(app, { name: 'Otto Other' });
  await setSpacePlan(systemCtx(env.deps), person.email, 'pro');
  await setSpacePlan(systemCtx(env.deps), other.email, 'pro');
}, 120_000);

afterAll(async () => {
  await env?.close();
  await new Promise((r) => upstream?.close(r));
});

describe('secrets planted and every failure path run', () => {
  it('passwords: wrong ones, unknown accounts, a change, and a second factor', async () => {
    const fresh = new (person.client.constructor as new (a: FastifyInstance) => TestClient)(app);
    expect((await fresh.call(A.signIn, { body: { email: person.email, password: S.wrongPassword } })).status).toBe(401);
    expect((await fresh.call(A.signIn, { body: { email: 'nobody@example.test', password: S.wrongPassword } })).status).toBe(401);
    const bad = await person.client.call(A.changePassword, { body: { currentPassword: S.wrongPassword, newPassword: S.newPassword } });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    await person.client.ok(A.changePassword, { body: { currentPassword: S.password, newPassword: S.newPassword } });
    // The seed is shown once, to its owner, to put in an authenticator app; nowhere else.
    const setup = await person.client.ok(A.startTotpSetup, { body: {} });
    made.totp = setup.secret;
    expect((await person.client.call(A.enableTotp, { body: { code: '000000' } })).status).toBeGreaterThanOrEqual(400);
    await person.client.ok(A.enableTotp, {
      body: { code: generateSync({ secret: setup.secret, epoch: Math.floor(env.deps.clock.now().getTime() / 1000) }) },
    });
  });

  it('mail: a wrong password, a good one, and a new host that does not answer', async () => {
    const user = `secret${Date.now().toString(36)}@example.test`;
    addTestMailUser(svc(), user, S.mail);
    const input = {
      kind: 'email' as const,
      name: 'Mail',
      visibility: 'private' as const,
      imap: { host: '127.0.0.1', port: svc().imap.port, tls: 'none' as const },
      smtp: { host: '127.0.0.1', port: svc().smtp.port, tls: 'none' as const },
      username: user,
    };
    const wrong = await person.client.ok(C.testConnector, { body: { ...input, password: S.wrongMail } });
    expect(wrong.ok).toBe(false);
    // Dovecot reads its users file on its own time: wait until the new mailbox answers.
    const made1 = await eventually(async () => {
      const r = await person.client.call(C.createConnector, { body: { ...input, password: S.mail } });
      return r.status === 201 ? r.body : undefined;
    }, 'the mailbox to accept its password');
    const moved = await person.client.call(C.updateConnector, {
      params: { connectorId: made1.id },
      body: { ...input, imap: { host: '127.0.0.1', port: closedPort, tls: 'none' as const }, password: S.moved },
    });
    expect(moved.status).toBeGreaterThanOrEqual(400);
    await person.client.ok(C.syncConnector, { params: { connectorId: made1.id } });
    await eventually(async () => {
      const v = await person.client.ok(C.getConnector, { params: { connectorId: made1.id } });
      return v.health.lastSyncAt ? v : undefined;
    }, 'a sync');
  });

  it('calendars: a wrong password and a good one', async () => {
    const user = `dav${Date.now().toString(36)}`;
    addTestCalendarUser(svc(), user, S.dav);
    const input = {
      kind: 'caldav' as const,
      name: 'Calendar',
      visibility: 'private' as const,
      url: `${svc().caldav.url}/${user}/`,
      username: user,
    };
    expect((await person.client.ok(C.testConnector, { body: { ...input, password: S.wrongDav } })).ok).toBe(false);
    await eventually(async () => {
      const r = await person.client.call(C.createConnector, { body: { ...input, password: S.dav } });
      return r.status === 201 ? r.body : undefined;
    }, 'the calendar to accept its password');
  });

  it('outgoing HTTP: a failing address, a closed port and a refused one, with a secret header', async () => {
    const made2 = await person.client.ok(C.createConnector, {
      body: {
        kind: 'http',
        name: 'API',
        visibility: 'private',
        allow: [`http://127.0.0.1:${upstreamPort}/api/`, `http://127.0.0.1:${closedPort}/`],
        headerName: 'Authorization',
        headerValue: S.http,
      },
    });
    expect(made2.id).toBeTruthy();
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId: person.spaceId, accountId: person.accountId });
    const get = findSkill(env.deps.modules, 'http.get')!;
    expect(await invokeSkill(get, sctx, { url: `http://127.0.0.1:${upstreamPort}/api/fail` })).toMatchObject({ status: 500 });
    await expect(invokeSkill(get, sctx, { url: `http://127.0.0.1:${closedPort}/x` })).rejects.toBeTruthy();
    await expect(invokeSkill(get, sctx, { url: `http://127.0.0.1:${upstreamPort}/elsewhere` })).rejects.toMatchObject({
      code: 'forbidden',
    });
    // The header went to the allowed address, and only there.
    expect(upstreamHits.filter((h) => h.auth === S.http).map((h) => h.url)).toEqual(['/api/fail']);
  });

  it('a personal model key the provider refuses, and the operator key likewise, through a real run', async () => {
    await person.client.ok(M.setPersonalModel, {
      body: { provider: 'openai-compatible', model: 'gpt-test', apiKey: S.model, baseUrl: `http://127.0.0.1:${upstreamPort}/v1` },
    });
    const inst = await person.client.ok(P.installPack, {
      params: { packId: 'secret-reader' },
      body: { settings: {}, grantedScopes: ['model', 'tasks:read'] },
    });
    const runOnce = async (client: TestClient, agentId: string) => {
      const r = await client.ok(R.runAgentNow, { params: { agentId }, body: { input: { text: 'Electricity, $80, due Friday' } } });
      return eventually(async () => {
        const d = await client.ok(R.getRun, { params: { runId: r.id } });
        return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
      }, 'the run to end');
    };
    const failed = await runOnce(person.client, inst.agents[0]!.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/refused the key \(401\)\. Check your own key in Settings → Models/);
    expect(upstreamHits.some((h) => h.auth === `Bearer ${S.model}`)).toBe(true);

    await operator.ok(AD.updateSetting, {
      params: { key: 'models' },
      body: {
        value: {
          enabled: true,
          provider: 'openai-compatible',
          baseUrl: `http://127.0.0.1:${upstreamPort}/v1`,
          model: 'gpt-op',
          apiKey: S.operatorModel,
          azureResource: null,
          azureApiVersion: null,
          timeoutMs: 5000,
        },
      },
    });
    const inst2 = await other.client.ok(P.installPack, {
      params: { packId: 'secret-reader' },
      body: { settings: {}, grantedScopes: ['model', 'tasks:read'] },
    });
    const failed2 = await runOnce(other.client, inst2.agents[0]!.id);
    expect(failed2.status).toBe('failed');
    expect(failed2.error).toMatch(/refused the key \(401\)\. Check the instance's model settings/);
    expect(upstreamHits.some((h) => h.auth === `Bearer ${S.operatorModel}`)).toBe(true);
  });

  it("the operator's SMTP password and Stripe keys, with mail that cannot be sent", async () => {
    await operator.ok(AD.updateSetting, {
      params: { key: 'billing.provider' },
      body: {
        value: {
          provider: 'offline',
          stripeSecretKey: S.stripe,
          stripeWebhookSecret: S.stripeHook,
          stripeApiUrl: 'https://api.stripe.com',
        },
      },
    });
    await operator.ok(AD.updateSetting, {
      params: { key: 'smtp' },
      body: {
        value: {
          host: '127.0.0.1',
          port: closedPort,
          tlsMode: 'none',
          username: 'mailer',
          password: S.smtp,
          from: 'csme <no-reply@example.test>',
        },
      },
    });
    const listed = await operator.ok(AD.listSettings);
    expect(listed.settings.find((s) => s.key === 'smtp')!.value.password).toEqual({ set: true });
    // A reset mail is queued and fails to send (nothing listens), and is retried later.
    const anon = new (person.client.constructor as new (a: FastifyInstance) => TestClient)(app);
    await anon.ok(A.requestPasswordReset, { body: { email: other.email } });
    await eventually(async () => {
      const r = await env.deps.db.selectFrom('email_outbox').select(['attempts']).where('to_address', '=', other.email).executeTakeFirst();
      return r && r.attempts > 0 ? r : undefined;
    }, 'a failed attempt to send the mail');
  });
});

describe('ciphertexts', () => {
  it("copied into another space's connector, do not decrypt there: the connector asks for its password again", async () => {
    const rows = await env.deps.db
      .selectFrom('connector')
      .select(['id', 'space_id', 'credentials', 'kind'])
      .where('kind', '=', 'email')
      .where('space_id', '=', person.spaceId)
      .execute();
    const source = rows[0]!;
    expect(source.credentials!.toString('latin1')).not.toContain(S.mail);
    const user = `copy${Date.now().toString(36)}@example.test`;
    const pw = canary('copytarget');
    made.copyTarget = pw;
    addTestMailUser(svc(), user, pw);
    const target = await eventually(async () => {
      const r = await other.client.call(C.createConnector, {
        body: {
          kind: 'email',
          name: 'Mail',
          visibility: 'private',
          imap: { host: '127.0.0.1', port: svc().imap.port, tls: 'none' },
          smtp: { host: '127.0.0.1', port: svc().smtp.port, tls: 'none' },
          username: user,
          password: pw,
        },
      });
      return r.status === 201 ? r.body : undefined;
    }, 'the second mailbox');
    // As if someone with write access to the database pasted the first space's ciphertext in.
    await env.deps.db.updateTable('connector').set({ credentials: source.credentials }).where('id', '=', target.id).execute();
    await expect(
      env.deps.vault.decrypt({ spaceId: other.spaceId, purpose: 'connector.credentials', recordId: target.id }, source.credentials!),
    ).rejects.toBeInstanceOf(VaultError);
    await other.client.ok(C.syncConnector, { params: { connectorId: target.id } });
    const v = await eventually(async () => {
      const c = await other.client.ok(C.getConnector, { params: { connectorId: target.id } });
      return c.health.needsAttention ? c : undefined;
    }, 'the connector to ask for attention');
    expect(v.health.lastError).toBe('The saved password cannot be read any more. Edit the connection and enter the password again.');
    expect(v.health.needsAttention).toBe(true);
    expect(hits(JSON.stringify(v), 'connector view')).toEqual([]);
  });
});

describe('key rotation', () => {
  let worker: ChildProcess | null = null;
  afterAll(() => worker?.kill('SIGKILL'));

  it('survives kill -9 half way: run again, it finishes with the same new key and every secret still decrypts', async () => {
    const db = env.deps.db;
    // Many spaces with a secret each, so the rotation takes long enough to be stopped in the middle.
    const N = 600;
    const ids = Array.from({ length: N }, () => newId());
    await sql`insert into space (id, name, kind, owner_account_id)
      select id, 'rotation ' || id, 'personal', ${person.accountId}::uuid from unnest(${ids}::uuid[]) as id`.execute(db);
    const secrets = new Map<string, Buffer>();
    for (let i = 0; i < N; i += 100)
      await Promise.all(
        ids.slice(i, i + 100).map(async (id) => {
          secrets.set(id, await env.deps.vault.encrypt({ spaceId: id, purpose: 'test.rotation', recordId: id }, `secret of ${id}`));
        }),
      );
    const dataDir = mkdtempSync(join(tmpdir(), 'csme-rotate-'));
    writeKeysFile(dataDir, keysFile);
    const oldId = keysFile.master[0]!.id;
    const rotate = () =>
      spawn(process.execPath, [join(root, 'server/bin/csme.js'), 'keys', 'rotate'], {
        cwd: root,
        env: { ...process.env, ...keyEnvWithoutMaster(), DATABASE_URL: env.databaseUrl, CSME_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const counts = async () => {
      const r = await sql<{
        old: number;
        total: number;
      }>`select count(*) filter (where master_key_id = ${oldId})::int as old, count(*)::int as total from data_key`.execute(db);
      return r.rows[0]!;
    };
    const before = await counts();
    expect(before.old).toBe(before.total);
    worker = rotate();
    let out = '';
    worker.stdout!.on('data', (c) => {
      out += c;
    });
    worker.stderr!.on('data', (c) => {
      out += c;
    });
    const exited = new Promise((r) => worker!.once('exit', r));
    // Killed once some, but not all, data keys are re-wrapped.
    const mid = await eventually(
      async () => {
        const c = await counts();
        return c.old < before.total - 50 ? c : undefined;
      },
      'the rotation to be under way',
      60_000,
      5,
    );
    worker.kill('SIGKILL');
    await exited;
    const killedAt = await counts();
    expect(killedAt.old, `the rotation finished before it could be killed (${out})`).toBeGreaterThan(0);
    expect(mid.old).toBeGreaterThanOrEqual(killedAt.old);
    const ring = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as KeysFile;
    expect(ring.master.map((m) => m.id).slice(1)).toEqual([oldId]);

    // Every secret decrypts with the keys file as it is now, half way.
    const check = async (file: KeysFile) => {
      const v = new Vault(createCheckDb().db, fromSources({}, file));
      for (const [id, blob] of secrets) {
        expect((await v.decrypt({ spaceId: id, purpose: 'test.rotation', recordId: id }, blob)).toString()).toBe(`secret of ${id}`);
      }
    };
    await check(ring);

    worker = rotate();
    let out2 = '';
    worker.stdout!.on('data', (c) => {
      out2 += c;
    });
    const code = await new Promise<number | null>((r) => worker!.once('exit', r));
    expect(code, out2).toBe(0);
    expect(out2).toMatch(/Resuming the rotation/);
    const after = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as KeysFile;
    expect(after.master.map((m) => m.id)).toEqual(ring.master.map((m) => m.id));
    expect((await counts()).old).toBe(0);
    await check(after);
    console.log(
      `key rotation: killed with ${killedAt.old} of ${killedAt.total} data keys left; resumed and finished; ${N} secrets decrypt`,
    );
  }, 180_000);
});

describe('after every failure path', () => {
  it('finds no secret in the logs, the API answers, the job payloads or the database', async () => {
    const found: string[] = [];
    found.push(...hits(env.logs.join('\n'), 'log'));
    for (const r of responses) {
      // The setup answer is where the person is shown their new TOTP seed, once.
      if (r.url.endsWith('/account/totp/setup')) continue;
      found.push(...hits(r.text, `response to ${r.url}`));
    }
    const jobs = await sql<{ payload: string }>`select payload from secret_scan_job`.execute(env.deps.db);
    expect(jobs.rows.length).toBeGreaterThanOrEqual(5);
    for (const j of jobs.rows) found.push(...hits(j.payload, 'job payload'));
    const tables = await sql<{ schema: string; name: string }>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(env.deps.db);
    let rows = 0;
    for (const t of tables.rows) {
      const r = await sql<{ j: string }>`select row_to_json(x)::text as j from ${sql.table(`${t.schema}.${t.name}`)} x`.execute(
        env.deps.db,
      );
      rows += r.rows.length;
      for (const row of r.rows) found.push(...hits(row.j, `${t.schema}.${t.name}`));
    }
    expect(rows).toBeGreaterThan(100);
    recordFigures(
      'secrets',
      {
        secrets: allSecrets().length,
        'log lines': env.logs.length,
        responses: responses.length,
        'job payloads': jobs.rows.length,
        'rows scanned': rows,
      },
      found.length,
    );
    expect(found).toEqual([]);
    console.log(
      `secrets suite: ${allSecrets().length} secrets, ${env.logs.length} log lines, ${responses.length} responses, ${jobs.rows.length} job payloads, ${rows} rows scanned, ${found.length} hits`,
    );
  });

  it('finds no key or secret in the built web app', () => {
    const dist = join(root, 'web/dist');
    expect(existsSync(dist), 'web/dist is missing: npm test builds it first (npm run build)').toBe(true);
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(js|css|html|json|webmanifest|map|txt)$/.test(f)) files.push(p);
      }
    };
    walk(dist);
    expect(files.filter((f) => f.includes('/assets/') && f.endsWith('.js')).length, 'the built web app has its scripts').toBeGreaterThan(
      10,
    );
    const patterns = [
      /sk_live_[0-9a-zA-Z]{8,}/,
      /sk_test_[0-9a-zA-Z]{8,}/,
      /whsec_[0-9a-zA-Z]{8,}/,
      /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
      /CSME_MASTER_KEYS\s*=/,
    ];
    const keyValues = [
      keysFile.master[0]!.key,
      keysFile.session,
      keysFile.csrf,
      keysFile.activity,
      keysFile.ioHmac,
      keysFile.vapidPrivate,
      keysFile.packSigning,
    ];
    const found: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const p of patterns) if (p.test(text)) found.push(`${f}: ${p}`);
      for (const k of keyValues) if (text.includes(k)) found.push(`${f}: a server key`);
    }
    expect(found).toEqual([]);
  });
});

const checkDbs: Array<ReturnType<typeof createDatabase>> = [];
afterAll(async () => {
  for (const d of checkDbs) await d.destroy();
});
function createCheckDb() {
  const d = createDatabase({ url: env.databaseUrl, max: 2 });
  checkDbs.push(d);
  return d;
}

/** The instance keys as environment variables, except the master keys, which come from the keys file being rotated. */
function keyEnvWithoutMaster(): Record<string, string> {
  return Object.fromEntries(
    keysAsEnv(keysFile)
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const)
      .filter(([k]) => k !== 'CSME_MASTER_KEYS'),
  );
}
