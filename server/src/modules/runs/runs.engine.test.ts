import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listActivity, verifyActivity } from '@csme/contracts/activity';
import * as P from '@csme/contracts/packs';
import { getUsage } from '@csme/contracts/plans';
import { cancelRun, getRun, listRuns, runAgentNow } from '@csme/contracts/runs';
import { approveSuggestion, listSuggestions, rejectSuggestion } from '@csme/contracts/suggestions';
import { listTasks, updateTask } from '@csme/contracts/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { admitRun, raiseEvent, runDueSchedules } from './runs.service.js';

let env: TestEnv;
const STARTER_SCOPES = ['tasks:read', 'tasks:write', 'notify'];

async function installStarter(client: TestClient, settings: Record<string, unknown> = {}) {
  return client.ok(P.installPack, { params: { packId: 'starter' }, body: { settings, grantedScopes: STARTER_SCOPES } });
}

const agentByKey = (inst: { agents: { key: string; id: string }[] }, key: string) => inst.agents.find((a) => a.key === key)!;

async function finished(client: TestClient, runId: string) {
  return eventually(async () => {
    const r = await client.ok(getRun, { params: { runId } });
    return ['succeeded', 'failed', 'cancelled', 'refused'].includes(r.status) ? r : undefined;
  }, `run ${runId} to finish`);
}

beforeAll(async () => {
  env = await createTestEnv();
  // A second pack, so that plan limits on packs can be reached.
  const dir = mkdtempSync(join(tmpdir(), 'csme-packs-'));
  mkdirSync(join(dir, 'notes-helper'));
  writeFileSync(
    join(dir, 'notes-helper/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'notes-helper',
      version: '0.1.0',
      platform: '>=1.0.0',
      name: 'Notes helper',
      description: 'A second pack for tests.',
      persona: 'anyone',
      icon: '🗒️',
      scopes: ['tasks:write'],
      agents: [
        {
          id: 'add-note',
          name: 'Add',
          description: 'Adds',
          triggers: [{ type: 'manual' }],
          steps: [{ id: 'add', skill: 'tasks.create', input: { title: 'x' } }],
        },
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  await env.worker();
});
afterAll(() => env.close());

describe('installing a pack', () => {
  it('shows the consent screen of exactly its scopes and refuses partial consent, installing nothing', async () => {
    const { client } = await signedUpClient(await env.app());
    const pack = await client.ok(P.getPack, { params: { packId: 'starter' } });
    expect(pack.scopes.map((s) => s.scope).sort()).toEqual([...STARTER_SCOPES].sort());
    expect(pack.scopes.find((s) => s.scope === 'notify')!.label).toBe('Send you notifications');
    const partial = await client.call(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: {}, grantedScopes: ['tasks:read'] },
    });
    expect(partial.status).toBe(400);
    expect(partial.error!.message).toContain('missing: tasks:write, notify');
    const badSettings = await client.call(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: { digestTime: '25:99' }, grantedScopes: STARTER_SCOPES },
    });
    expect(badSettings.status).toBe(400);
    expect(badSettings.error!.message).toMatch(/settings\.digestTime/);
    expect((await client.ok(P.listInstallations)).items).toEqual([]);
  });

  it('on Free turns three agents on and holds the webhook agent for a plan with all connectors', async () => {
    const { client } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const byKey = Object.fromEntries(inst.agents.map((a) => [a.key, a]));
    expect(byKey['daily-digest']!.enabled).toBe(true);
    expect(byKey['welcome-task']!.enabled).toBe(true);
    expect(byKey['done-cheer']!.enabled).toBe(true);
    expect(byKey['webhook-to-task']).toMatchObject({ enabled: false, disabledReason: 'needs_plan:pro' });
    expect(byKey['daily-digest']!.schedule).toBe('Every day at 08:00 (UTC)');
    const usage = await client.ok(getUsage);
    expect(usage.meters.find((m) => m.key === 'packs')).toMatchObject({ used: 1, limit: 1 });
    expect(usage.meters.find((m) => m.key === 'agents')).toMatchObject({ used: 3, limit: 3 });
  });

  it("describes each trigger with the facts a client needs to say it in the person's language", async () => {
    const { client } = await signedUpClient(await env.app());
    const pack = await client.ok(P.getPack, { params: { packId: 'starter' } });
    const triggers = Object.fromEntries(pack.agents.map((a) => [a.key, a.triggers]));
    expect(triggers['daily-digest']).toEqual([
      { type: 'schedule', label: 'Every day at 08:00 (your time zone)', cron: '0 8 * * *', timeZone: 'person' },
      { type: 'manual', label: 'When you run it' },
    ]);
    expect(triggers['done-cheer']).toEqual([{ type: 'event', label: 'When a task is done', event: 'task.completed' }]);
    const inst = await installStarter(client, { digestTime: '07:30' });
    const digest = inst.agents.find((a) => a.key === 'daily-digest')!;
    expect(digest.triggers[0]).toEqual({ type: 'schedule', label: 'Every day at 07:30 (UTC)', cron: '30 7 * * *', timeZone: 'UTC' });
    expect((await client.ok(P.getAgent, { params: { agentId: digest.id } })).triggers[0]).toEqual(digest.triggers[0]);
  });

  it('refuses a second pack on Free with a readable reason and an offer, and installs it on Personal Pro', async () => {
    const { client, email } = await signedUpClient(await env.app());
    await installStarter(client);
    const second = await client.call(P.installPack, {
      params: { packId: 'notes-helper' },
      body: { settings: {}, grantedScopes: ['tasks:write'] },
    });
    expect(second.status).toBe(402);
    expect(second.error!.message).toBe('Free includes 1 pack; you have 1. Upgrade to Personal Pro for 5.');
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const ok = await client.call(P.installPack, {
      params: { packId: 'notes-helper' },
      body: { settings: {}, grantedScopes: ['tasks:write'] },
    });
    expect(ok.status).toBe(201);
  });
});

describe('a manual run, its suggestion and the action', () => {
  it('runs now, proposes a task, creates it once on approval, and logs every step in a verifiable chain', async () => {
    const { client } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const run = await client.ok(runAgentNow, { params: { agentId: agentByKey(inst, 'welcome-task').id }, body: {} });
    expect(['queued', 'running', 'succeeded']).toContain(run.status);
    const done = await finished(client, run.id);
    expect(done.status).toBe('succeeded');
    expect(done.steps).toHaveLength(1);
    expect(done.steps[0]).toMatchObject({ stepKey: 'propose', kind: 'skill', status: 'succeeded' });
    expect(done.suggestionIds).toHaveLength(1);
    // Nothing happened yet: it waits for the person.
    expect((await client.ok(listTasks)).items).toHaveLength(0);
    const inbox = await client.ok(listSuggestions);
    expect(inbox.pendingCount).toBe(1);
    const s = inbox.items[0]!;
    expect(s.title).toBe('Create a task: Connect your email so your agents can help with it');
    const wrongHash = await client.call(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: 'a'.repeat(64) } });
    expect(wrongHash.status).toBe(409);
    await client.ok(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.actionHash } });
    const tasks = await eventually(async () => {
      const t = await client.ok(listTasks);
      return t.items.length ? t.items : undefined;
    }, 'the approved task');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      title: 'Connect your email so your agents can help with it',
      createdByAgent: true,
      suggestionId: null,
    });
    const again = await client.call(approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.actionHash } });
    expect(again.status).toBe(409);
    await eventually(
      async () => (await client.ok(listSuggestions, { query: { status: 'done' } })).items[0]?.status === 'done',
      'the action to be recorded done',
    );
    expect((await client.ok(listTasks)).items).toHaveLength(1);
    const activity = await client.ok(listActivity, { query: { limit: 50 } });
    const kinds = activity.items.map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['pack.installed', 'suggestion.created', 'suggestion.approved', 'action.performed']));
    expect(await client.ok(verifyActivity)).toMatchObject({ valid: true });
  });

  it('applies an edited action as edited, and keeps a rejection reason for the next run', async () => {
    const { client } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const agentId = agentByKey(inst, 'welcome-task').id;
    const r1 = await client.ok(runAgentNow, { params: { agentId }, body: {} });
    await finished(client, r1.id);
    const s1 = (await client.ok(listSuggestions)).items[0]!;
    const edited = await client.ok(approveSuggestion, {
      params: { suggestionId: s1.id },
      body: { hash: s1.actionHash, action: { ...(s1.action as object), title: 'Connect the family mailbox' } },
    });
    expect(edited.edited).toBe(true);
    // What the person reads afterwards (the inbox, the log) says what was approved, not what was first proposed.
    expect(edited.title).toBe('Create a task: Connect the family mailbox');
    await eventually(
      async () => (await client.ok(listTasks)).items.find((t) => t.title === 'Connect the family mailbox'),
      'the edited task',
    );
    const summaries = await eventually(async () => {
      const all = (await client.ok(listActivity, { query: {} })).items.map((e) => e.summary);
      return all.includes('Done: Create a task: Connect the family mailbox') ? all : undefined;
    }, 'the action in the log');
    expect(summaries).toContain('Approved with changes: Create a task: Connect the family mailbox');
    const badEdit = await client.call(approveSuggestion, {
      params: { suggestionId: s1.id },
      body: { hash: s1.actionHash, action: { title: '' } },
    });
    expect(badEdit.status).toBe(409); // already decided

    const r2 = await client.ok(runAgentNow, { params: { agentId }, body: {} });
    await finished(client, r2.id);
    const s2 = (await client.ok(listSuggestions)).items.find((x) => x.status === 'pending')!;
    const rejected = await client.ok(rejectSuggestion, { params: { suggestionId: s2.id }, body: { reason: 'I will do it later' } });
    expect(rejected).toMatchObject({ status: 'rejected', rejectReason: 'I will do it later' });
    const r3 = await client.ok(runAgentNow, { params: { agentId }, body: {} });
    const rows = await env.deps.db.selectFrom('agent_run').select('trigger_data').where('id', '=', r3.id).executeTakeFirstOrThrow();
    expect(rows).toBeDefined();
    await finished(client, r3.id);
  });

  it("cancels a queued run, and answers 404 for another space's run", async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const inst = await installStarter(a.client);
    const agentId = agentByKey(inst, 'welcome-task').id;
    // Admitted but held back from the worker (its job moved to the future in the same transaction, so
    // that the running worker cannot take it between the commit and the hold) so that it stays queued.
    const admitted = await env.deps.db.transaction().execute(async (tx) => {
      const r = await admitRun(
        { ...systemCtx(env.deps), db: tx },
        { spaceId: a.spaceId, agentId, kind: 'manual', key: 'manual:hold', data: {} },
      );
      await tx
        .updateTable('graphile_worker._private_jobs' as never)
        .set({ run_at: new Date(Date.now() + 3_600_000) } as never)
        .execute();
      return r;
    });
    const cancelled = await a.client.ok(cancelRun, { params: { runId: admitted.runId } });
    expect(cancelled.status).toBe('cancelled');
    expect((await b.client.call(getRun, { params: { runId: admitted.runId } })).status).toBe(404);
    expect((await b.client.call(cancelRun, { params: { runId: admitted.runId } })).status).toBe(404);
    await env.deps.db
      .updateTable('graphile_worker._private_jobs' as never)
      .set({ run_at: new Date() } as never)
      .execute();
    expect((await a.client.ok(getRun, { params: { runId: admitted.runId } })).status).toBe('cancelled');
  });
});

describe('triggers', () => {
  it("fires a schedule on time in the person's chosen time, once, even when the scheduler runs twice", async () => {
    const { client, spaceId } = await signedUpClient(await env.app());
    const inst = await installStarter(client, { digestTime: '07:30' });
    const agent = agentByKey(inst, 'daily-digest');
    const view = await client.ok(P.getAgent, { params: { agentId: agent.id } });
    expect(view.schedule).toBe('Every day at 07:30 (UTC)');
    expect(view.nextRunAt).toBe('2026-03-11T07:30:00.000Z');
    const clock = env.clock as ManualClock;
    const before = clock.now();
    clock.set('2026-03-11T07:30:00.400Z');
    try {
      // The worker's own scheduler runs too: together they must still make exactly one run of the slot.
      await runDueSchedules(systemCtx(env.deps));
      await runDueSchedules(systemCtx(env.deps));
      const runs = await client.ok(listRuns, { query: { agentId: agent.id } });
      expect(runs.items.filter((r) => r.triggerKind === 'schedule')).toHaveLength(1);
      const done = await finished(client, runs.items[0]!.id);
      expect(done.status).toBe('succeeded');
      const notes = await env.deps.db
        .selectFrom('notification')
        .select(['title', 'kind'])
        .where('space_id', '=', spaceId)
        .where('kind', '=', 'agent.message')
        .execute();
      expect(notes.map((n) => n.title)).toContain('No open tasks today');
      expect((await client.ok(P.getAgent, { params: { agentId: agent.id } })).nextRunAt).toBe('2026-03-12T07:30:00.000Z');
    } finally {
      clock.set(before);
    }
  });

  it('runs the event agent when a task is completed, and an event raised twice makes one run', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const cheer = agentByKey(inst, 'done-cheer');
    const task = await client.ok((await import('@csme/contracts/tasks')).createTask, { body: { title: 'Water the plants' } });
    await client.ok(updateTask, { params: { taskId: task.id }, body: { status: 'done' } });
    await eventually(async () => {
      const n = await env.deps.db
        .selectFrom('notification')
        .select('title')
        .where('space_id', '=', spaceId)
        .where('title', '=', 'Done: Water the plants')
        .executeTakeFirst();
      return n;
    }, 'the cheer notification');
    const ctx = systemCtx(env.deps);
    const ev = {
      spaceId,
      ownerAccountId: accountId,
      visibility: 'private' as const,
      type: 'task.completed',
      source: 'test',
      dedupeKey: 'same-event',
      data: { taskId: task.id },
    };
    await env.deps.db.transaction().execute(async (tx) => {
      expect(await raiseEvent({ ...ctx, db: tx }, ev)).not.toBeNull();
      expect(await raiseEvent({ ...ctx, db: tx }, ev)).toBeNull();
    });
    await eventually(
      async () => (await client.ok(listRuns, { query: { agentId: cheer.id } })).items.length === 2 || undefined,
      'two event runs',
    );
    const runs = await client.ok(listRuns, { query: { agentId: cheer.id } });
    expect(runs.items.every((r) => r.triggerKind === 'event')).toBe(true);
  });

  it('takes webhooks on Personal Pro: secret URL, HMAC check, and a repeated delivery is ignored', async () => {
    const { client, email } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const hook = agentByKey(inst, 'webhook-to-task');
    const offPlan = await client.call(P.updateAgent, { params: { agentId: hook.id }, body: { enabled: true } });
    expect(offPlan.status).toBe(402);
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    await client.ok(P.updateAgent, { params: { agentId: hook.id }, body: { enabled: true } });
    const { url, hmacSecret } = await client.ok(P.createWebhookUrl, { params: { agentId: hook.id }, body: { hmac: true } });
    const app = await env.app();
    const path = new URL(url).pathname;
    const body = JSON.stringify({ title: 'Renew the passport' });
    const sig = createHmac('sha256', hmacSecret!).update(body).digest('hex');
    const unsigned = await app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: { 'content-type': 'application/json', 'x-delivery-id': 'd1' },
    });
    expect(unsigned.statusCode).toBe(401);
    const first = await app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: { 'content-type': 'application/json', 'x-delivery-id': 'd1', 'x-csme-signature': sig },
    });
    expect(first.statusCode).toBe(202);
    expect(first.json().status).toBe('queued');
    const replay = await app.inject({
      method: 'POST',
      url: path,
      payload: body,
      headers: { 'content-type': 'application/json', 'x-delivery-id': 'd1', 'x-csme-signature': sig },
    });
    expect(replay.json()).toMatchObject({ status: 'duplicate', runId: first.json().runId });
    await finished(client, first.json().runId);
    const inbox = await client.ok(listSuggestions);
    expect(inbox.items.map((s) => s.title)).toContain('Create a task: Renew the passport');
    const unknown = await app.inject({
      method: 'POST',
      url: '/webhooks/not-a-real-token-at-all-000000',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('stops an old webhook URL at once when a new one is made, though the old one was just used', async () => {
    const { client, email } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const hook = agentByKey(inst, 'webhook-to-task');
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    await client.ok(P.updateAgent, { params: { agentId: hook.id }, body: { enabled: true } });
    const app = await env.app();
    const deliver = (url: string, id: string) =>
      app.inject({
        method: 'POST',
        url: new URL(url).pathname,
        payload: JSON.stringify({ title: `Delivery ${id}` }),
        headers: { 'content-type': 'application/json', 'x-delivery-id': id },
      });
    const old = await client.ok(P.createWebhookUrl, { params: { agentId: hook.id }, body: { hmac: false } });
    expect((await deliver(old.url, 'a')).statusCode).toBe(202);
    const fresh = await client.ok(P.createWebhookUrl, { params: { agentId: hook.id }, body: { hmac: false } });
    expect((await deliver(old.url, 'b')).statusCode).toBe(404);
    const ok = await deliver(fresh.url, 'c');
    expect(ok.statusCode).toBe(202);
    expect(ok.json().status).toBe('queued');
    await finished(client, ok.json().runId);
  });
});

describe('the run quota', () => {
  it('admits exactly 300 of 1,000 concurrent triggers on Free and records the rest as refused with the reason', async () => {
    const { client, spaceId } = await signedUpClient(await env.app());
    const inst = await installStarter(client);
    const agentId = agentByKey(inst, 'welcome-task').id;
    // Held away from the worker: this test is about admission.
    await env.deps.db.updateTable('agent').set({ enabled: true }).where('id', '=', agentId).execute();
    const ctx = systemCtx(env.deps);
    const results = [];
    for (let batch = 0; batch < 10; batch++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            admitRun(ctx, { spaceId, agentId, kind: 'manual', key: `manual:race-${batch}-${i}`, data: {} }),
          ),
        )),
      );
    }
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(300);
    const refused = results.filter((r) => r.status === 'refused');
    expect(refused).toHaveLength(700);
    expect(refused[0]).toMatchObject({ reason: 'quota' });
    const usage = await client.ok(getUsage);
    expect(usage.meters.find((m) => m.key === 'runs')).toMatchObject({ used: 300, limit: 300 });
    const now = await client.call(runAgentNow, { params: { agentId }, body: {} });
    expect(now.status).toBe(402);
    expect(now.error!.code).toBe('quota_exceeded');
    const runId = (now.error!.details as { runId: string }).runId;
    const refusedRun = await client.ok(getRun, { params: { runId } });
    expect(refusedRun.status).toBe('refused');
    expect(refusedRun.reason).toMatch(/^Did not run: Free includes 300 runs a month; you have used 300 this month\./);
    expect(refusedRun.offers.map((o) => o.kind)).toEqual(['upgrade', 'extra_runs']);
    const notes = await env.deps.db
      .selectFrom('notification')
      .select('kind')
      .where('space_id', '=', spaceId)
      .where('kind', 'like', 'quota.%')
      .execute();
    expect(notes.map((n) => n.kind).sort()).toEqual(['quota.exhausted', 'quota.warning']);
  }, 120_000);
});
