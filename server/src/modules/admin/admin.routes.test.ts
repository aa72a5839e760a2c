import { changePassword, getSession, signIn, startTotpSetup } from '@csme/contracts/accounts';
import { listActivity } from '@csme/contracts/activity';
import * as A from '@csme/contracts/admin';
import { adminCreatePlanVersion, adminListPlanVersions, adminMigratePlan } from '@csme/contracts/billing';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { createTestEnv, eventually, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
let op: Awaited<ReturnType<typeof signedUpClient>>;
let person: Awaited<ReturnType<typeof signedUpClient>>;
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  // The first account of an instance is its operator.
  op = await signedUpClient(app, { name: 'Olga Operator' });
  person = await signedUpClient(app, { name: 'Dana Person' });
});
afterAll(async () => {
  await env.close();
});

const activityOf = async (client: TestClient, kind?: string) => (await client.ok(listActivity, { query: { limit: 100, kind } })).items;

describe('operator routes', () => {
  it('answer 403 to a signed-in person who is not an operator, and 401 to nobody, on every /api/v1/admin route; each refusal is logged', async () => {
    const app = await env.app();
    const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const admin = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/admin/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
    // Settings, people, spaces, costs, lab, billing's invoices and plan versions: all of them.
    expect(admin.length).toBeGreaterThanOrEqual(18);
    const anonymous = new TestClient(app);
    for (const r of admin) {
      const url = r.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
        name === 'planId' ? 'pro' : name === 'key' ? 'featureFlags' : '019ac000-0000-7000-8000-00000000beef',
      );
      const before = env.logs.length;
      const res = await app.inject({
        method: r.method as 'GET',
        url,
        headers: { cookie: person.client.cookie!, 'x-csrf-token': person.client.csrf!, 'content-type': 'application/json' },
        ...(r.method === 'GET' ? {} : { payload: '{}' }),
      });
      expect(res.statusCode, `${r.method} ${r.path}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
      const logged = env.logs.slice(before).find((l) => l.includes('operator route refused to a non-operator'));
      expect(logged, `${r.method} ${r.path} is logged`).toBeDefined();
      expect(JSON.parse(logged!)).toMatchObject({
        accountId: person.accountId,
        method: r.method,
        route: r.path.replace(/\{([^}]+)\}/g, ':$1'),
      });
      const anon = await anonymous.app.inject({ method: r.method as 'GET', url });
      expect(anon.statusCode, `${r.method} ${r.path} anonymous`).toBe(401);
    }
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/csme_operator_route_denied_total\{route="\/api\/v1\/admin\/accounts"\} \d+/);
  });

  it('the same routes work for the operator, and every change is logged in the operator’s own activity log', async () => {
    const list = await op.client.ok(A.adminListAccounts, { query: { q: 'dana' } });
    expect(list.items.map((a) => a.email)).toEqual([person.email]);
    expect(list.items[0]).toMatchObject({ planId: 'free', runsUsed: 0, runsLimit: 300, suspendedAt: null, supportAccessUntil: null });
    const flags = await op.client.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { ioOffer: false } } });
    expect(flags.value).toEqual({ lab: true, promote: true, ioOffer: false });
    const mine = await activityOf(op.client, 'admin.action');
    expect(mine[0]).toMatchObject({
      actorKind: 'operator',
      summary: 'Operator action: Change an instance setting; applies without a restart',
    });
    expect(mine[0]!.data).toMatchObject({ method: 'PUT', route: '/api/v1/admin/settings/:key', params: { key: 'featureFlags' } });
    // Nobody else sees it.
    expect(await activityOf(person.client, 'admin.action')).toEqual([]);
    await op.client.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { ioOffer: true } } });
  });
});

describe('instance settings and feature flags', () => {
  it('lists every setting with its JSON Schema and secret fields (secrets only as set / not set)', async () => {
    const { settings } = await op.client.ok(A.listSettings);
    const byKey = new Map(settings.map((s) => [s.key, s]));
    for (const key of ['featureFlags', 'modelPrices', 'models', 'smtp', 'billing.provider', 'costs', 'connectsoftIo'])
      expect(byKey.has(key), key).toBe(true);
    const flags = byKey.get('featureFlags')!;
    expect(flags.schema).toMatchObject({ type: 'object', properties: { lab: { type: 'boolean' }, promote: { type: 'boolean' } } });
    expect(byKey.get('models')!.secretFields).toEqual(['apiKey']);
    expect(byKey.get('models')!.value.apiKey).toEqual({ set: false });
  });

  it('a flag change applies at once, without a restart, to what people read', async () => {
    expect(await person.client.ok(A.getFeatures)).toEqual({ lab: true, promote: true, ioOffer: true });
    await op.client.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { promote: false } } });
    env.deps.settings.invalidate(); // the 2-second cache, skipped rather than waited for
    expect((await person.client.ok(A.getFeatures)).promote).toBe(false);
    const bad = await op.client.call(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { lab: 'yes' } } });
    expect(bad.status).toBe(400);
    await op.client.ok(A.updateSetting, { params: { key: 'featureFlags' }, body: { value: { promote: true } } });
  });
});

describe('people and spaces', () => {
  it('shows a person with their spaces, plan, usage and cost; finds spaces by owner email', async () => {
    const inst = await person.client.ok(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    const detail = await op.client.ok(A.adminGetAccount, { params: { accountId: person.accountId } });
    expect(detail.spaces).toHaveLength(1);
    expect(detail.spaces[0]).toMatchObject({
      id: person.spaceId,
      kind: 'personal',
      role: 'owner',
      planId: 'free',
      costMicros: 0,
      labOptedOut: false,
    });
    expect(detail.spaces[0]!.usage).toEqual(
      expect.arrayContaining([
        { key: 'runs', used: 0, limit: 300 },
        { key: 'packs', used: 1, limit: 1 },
      ]),
    );
    const spaces = await op.client.ok(A.adminListSpaces, { query: { q: person.email } });
    expect(spaces.items.map((s) => s.id)).toEqual([person.spaceId]);
    expect((await op.client.call(A.adminGetSpace, { params: { spaceId: '019ac000-0000-7000-8000-00000000beef' } })).status).toBe(404);
    expect(inst.agents.length).toBeGreaterThan(0);
  });

  it('suspends: the person cannot sign in, their sessions end and their agents stop; restore undoes it; both are in their log', async () => {
    const app = await env.app();
    const s = await signedUpClient(app, { name: 'Sam Suspended' });
    const inst = await s.client.ok(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    const welcome = inst.agents.find((a) => a.key === 'welcome-task')!;
    expect((await op.client.call(A.adminSuspendAccount, { params: { accountId: s.accountId }, body: { reason: '' } })).status).toBe(400);
    const self = await op.client.call(A.adminSuspendAccount, { params: { accountId: op.accountId }, body: { reason: 'oops' } });
    expect(self.status).toBe(409);

    // A run queued before the suspension (no worker runs yet in this file) must not run after it.
    const queued = await s.client.ok(runAgentNow, { params: { agentId: welcome.id }, body: {} });
    const suspended = await op.client.ok(A.adminSuspendAccount, {
      params: { accountId: s.accountId },
      body: { reason: 'Payment fraud report' },
    });
    expect(suspended.suspendedAt).toBe(env.clock.now().toISOString());
    const mail = await env.deps.db
      .selectFrom('email_outbox')
      .select(['subject', 'body_text'])
      .where('to_address', '=', s.email)
      .where('kind', '=', 'notification.account.suspended')
      .executeTakeFirst();
    expect(mail?.subject).toBe('Your account is suspended');
    await env.worker();
    const gone = await eventually(async () => {
      const r = await env.deps.db.selectFrom('agent_run').select(['status', 'error']).where('id', '=', queued.id).executeTakeFirstOrThrow();
      return r.status === 'queued' || r.status === 'running' ? undefined : r;
    }, 'the queued run to end');
    expect(gone).toEqual({ status: 'cancelled', error: 'The account this agent belongs to was suspended.' });
    expect((await s.client.call(getSession)).status).toBe(401);
    const again = new TestClient(app);
    const signin = await again.call(signIn, { body: { email: s.email, password: PASSWORD } });
    expect(signin.status).toBe(403);
    expect(signin.error?.message).toContain('suspended');
    // Their agents stop: a trigger is refused, with the reason.
    const { admitRun } = await import('#modules/runs/index.js');
    const { systemCtx } = await import('#core/ctx.js');
    const refused = await admitRun(systemCtx(env.deps), {
      spaceId: s.spaceId,
      agentId: welcome.id,
      kind: 'manual',
      key: 'manual:after-suspension',
      data: {},
    });
    expect(refused).toMatchObject({
      status: 'refused',
      reason: 'paused',
      message: 'Did not run: the account this agent belongs to is suspended.',
    });
    expect((await op.client.call(A.adminSuspendAccount, { params: { accountId: s.accountId }, body: { reason: 'twice' } })).status).toBe(
      409,
    );

    await op.client.ok(A.adminRestoreAccount, { params: { accountId: s.accountId }, body: {} });
    const back = new TestClient(app);
    await back.ok(signIn, { body: { email: s.email, password: PASSWORD } });
    const run = await back.ok(runAgentNow, { params: { agentId: welcome.id }, body: {} });
    await eventually(async () => (await back.ok(getRun, { params: { runId: run.id } })).status === 'succeeded', 'the run after restore');
    const log = await activityOf(back);
    expect(log.map((e) => e.kind)).toEqual(expect.arrayContaining(['account.suspended', 'account.restored']));
    expect(log.find((e) => e.kind === 'account.suspended')).toMatchObject({
      actorKind: 'operator',
      actorAccountId: op.accountId,
      summary: 'The operators suspended this account: Payment fraud report',
    });
  });

  it('plan edits make a new version (never an edit in place); subscribers keep theirs until migrated with notice', async () => {
    const before = await op.client.ok(adminListPlanVersions);
    const pro1 = before.versions.find((v) => v.id === 'pro' && v.version === 1)!;
    const created = await op.client.ok(adminCreatePlanVersion, {
      params: { planId: 'pro' },
      body: { limits: { ...pro1.limits, runsPerMonth: 4000 }, note: 'From the quota advisor' },
    });
    expect(created).toMatchObject({ id: 'pro', version: 2, limits: { runsPerMonth: 4000 } });
    const after = await op.client.ok(adminListPlanVersions);
    expect(after.versions.find((v) => v.versionId === pro1.versionId)).toMatchObject({ version: 1, limits: { runsPerMonth: 5000 } });
    const migrated = await op.client.ok(adminMigratePlan, { params: { planId: 'pro' }, body: { noticeDays: 30 } });
    expect(migrated).toMatchObject({ scheduled: 0, skipped: 0 });
    const log = await activityOf(op.client, 'admin.action');
    expect(log.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Operator action: A new version of a plan'),
        expect.stringContaining("Operator action: Move a plan's subscribers"),
      ]),
    );
  });
});

describe('acting as a person (impersonation)', () => {
  it('needs the person’s consent; the session is theirs, visible to them, logged on both sides, and ends with the consent', async () => {
    const app = await env.app();
    const p = await signedUpClient(app, { name: 'Noa Consent' });
    const opBrowser = new TestClient(app);
    await opBrowser.ok(signIn, { body: { email: op.email, password: PASSWORD } });

    const refused = await opBrowser.call(A.adminImpersonate, { params: { accountId: p.accountId }, body: {} });
    expect(refused.status).toBe(403);
    expect(refused.error?.details).toEqual({ reason: 'no_consent' });

    const granted = await p.client.ok(A.grantSupportAccess, { body: { hours: 24 } });
    const clock = env.clock as ManualClock;
    expect(granted.grant).toEqual({
      grantedAt: clock.now().toISOString(),
      expiresAt: new Date(clock.now().getTime() + 24 * 3_600_000).toISOString(),
    });
    expect((await op.client.ok(A.adminListAccounts, { query: { q: p.email } })).items[0]!.supportAccessUntil).toBe(
      granted.grant!.expiresAt,
    );
    expect((await p.client.call(A.grantSupportAccess, { body: { hours: 100 } })).status).toBe(400);

    const started = await opBrowser.ok(A.adminImpersonate, { params: { accountId: p.accountId }, body: {} });
    // At most two hours at a time, whatever the consent.
    expect(started.expiresAt).toBe(new Date(clock.now().getTime() + 2 * 3_600_000).toISOString());
    const asPerson = await opBrowser.ok(getSession);
    expect(asPerson.account.id).toBe(p.accountId);
    expect(asPerson.account.isOperator).toBe(false);
    // In that session, operator routes are closed, and neither the consent nor how the person signs in can be changed.
    expect((await opBrowser.call(A.adminListAccounts)).status).toBe(403);
    expect((await opBrowser.call(A.grantSupportAccess, { body: { hours: 72 } })).status).toBe(403);
    expect((await opBrowser.call(startTotpSetup, { body: {} })).status).toBe(403);
    expect(
      (await opBrowser.call(changePassword, { body: { currentPassword: PASSWORD, newPassword: 'an operator took over' } })).status,
    ).toBe(403);
    const acting = await opBrowser.ok(A.getSupportAccess);
    expect(acting.actingAs).toEqual({ accountName: 'Noa Consent', operatorName: 'Olga Operator', expiresAt: started.expiresAt });

    // The person sees it at once.
    const seen = await p.client.ok(A.getSupportAccess);
    expect(seen.impersonations).toEqual([
      { operatorName: 'Olga Operator', startedAt: clock.now().toISOString(), expiresAt: started.expiresAt },
    ]);
    const log = await activityOf(p.client);
    expect(log.find((e) => e.kind === 'access.started')).toMatchObject({ actorKind: 'operator', actorAccountId: op.accountId });
    expect(log.find((e) => e.kind === 'access.granted')).toBeDefined();
    expect((await op.client.ok(A.adminGetAccount, { params: { accountId: p.accountId } })).impersonations).toBe(1);

    // The person withdraws consent: the operator's session as them ends at once.
    const revoked = await p.client.ok(A.revokeSupportAccess);
    expect(revoked).toEqual({ grant: null, impersonations: [], actingAs: null });
    expect((await opBrowser.call(getSession)).status).toBe(401);
    expect((await activityOf(p.client, 'access.revoked'))[0]!.summary).toBe('You withdrew operator access; 1 operator session ended');
    expect((await op.client.call(A.adminImpersonate, { params: { accountId: p.accountId }, body: {} })).status).toBe(403);
    expect(
      (await activityOf(op.client, 'admin.action')).some((e) => e.summary.includes('Act as a person who allowed operator access')),
    ).toBe(true);
  });

  it('the operator can stop acting as the person; an expired consent opens nothing', async () => {
    const app = await env.app();
    const p = await signedUpClient(app, { name: 'Eli Stop' });
    const opBrowser = new TestClient(app);
    await opBrowser.ok(signIn, { body: { email: op.email, password: PASSWORD } });
    await p.client.ok(A.grantSupportAccess, { body: { hours: 1 } });
    await opBrowser.ok(A.adminImpersonate, { params: { accountId: p.accountId }, body: {} });
    // The web app reloads the session (and its CSRF token) after the switch; so does this client.
    expect((await opBrowser.ok(getSession)).account.id).toBe(p.accountId);
    await opBrowser.ok(A.stopImpersonation, { body: {} });
    expect((await opBrowser.call(getSession)).status).toBe(401);
    expect((await p.client.ok(A.getSupportAccess)).impersonations).toEqual([]);
    expect((await activityOf(p.client, 'access.stopped'))[0]!.summary).toBe('Olga Operator stopped acting as you');
    expect((await p.client.call(A.stopImpersonation, { body: {} })).status).toBe(409);

    (env.clock as ManualClock).advance(61 * 60_000);
    expect((await p.client.ok(A.getSupportAccess)).grant).toBeNull();
    expect((await op.client.call(A.adminImpersonate, { params: { accountId: p.accountId }, body: {} })).status).toBe(403);
    // Operators cannot act as operators.
    expect((await op.client.call(A.adminImpersonate, { params: { accountId: op.accountId }, body: {} })).status).toBe(409);
  });
});
