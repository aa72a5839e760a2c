import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as A from '@csme/contracts/accounts';
import * as Pk from '@csme/contracts/packs';
import * as P from '@csme/contracts/privacy';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { listSuggestions, rejectSuggestion } from '@csme/contracts/suggestions';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { fromSources, generateKeysFile, keysAsEnv } from '#core/keys.js';
import { logActivity, verifyChain } from '#modules/activity/index.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';
import { privacySetting, purgeHistory } from './index.js';

// What the privacy module promises about history, proven with real runs through the worker: retention
// purges what is older than the window (the longer old one for 30 days after a downgrade) and the
// activity chain still verifies; an agent can keep less, or no step details at all; redaction patterns
// mask stored step payloads; exports of one person wait for each other; `csme import` as a command.

const DAY = 86_400_000;
let env: TestEnv;
const clock = () => env.clock as ManualClock;

const PROBE = {
  manifestVersion: 1,
  id: 'privacy-probe',
  version: '0.1.0',
  platform: '>=1.0.0',
  name: 'Privacy probe',
  description: 'Proposes a task whose text holds an ID number and a case reference.',
  persona: 'anyone',
  icon: '🔏',
  scopes: ['tasks:write'],
  agents: ['propose', 'propose-short'].map((id) => ({
    id,
    name: id,
    description: 'Proposes a task',
    triggers: [{ type: 'manual' }],
    steps: [{ id: 'add', skill: 'tasks.create', input: { title: 'Call about ID 123456789', notes: 'Reference CASE-4411-XY' } }],
  })),
};

beforeAll(async () => {
  env = await createTestEnv();
  const dir = mkdtempSync(join(tmpdir(), 'csme-packs-'));
  mkdirSync(join(dir, 'privacy-probe'));
  writeFileSync(join(dir, 'privacy-probe/pack.json'), JSON.stringify(PROBE));
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  await env.worker();
});
afterAll(() => env?.close());

/** Signs in again after the test clock moved past the session's lifetime. */
async function signInAgain(p: { client: TestClient; email: string }) {
  await p.client.ok(A.signIn, { body: { email: p.email, password: 'correct horse battery' } });
}

async function personWithProbe() {
  const p = await signedUpClient(await env.app());
  const inst = await p.client.ok(Pk.installPack, {
    params: { packId: 'privacy-probe' },
    body: { settings: {}, grantedScopes: ['tasks:write'] },
  });
  const agent = (key: string) => inst.agents.find((a) => a.key === key)!.id;
  return { ...p, agents: { propose: agent('propose'), short: agent('propose-short') } };
}

/** Runs an agent now through the worker and waits for its run to finish; settles its suggestion. */
async function runOnce(client: TestClient, agentId: string) {
  const started = await client.ok(runAgentNow, { params: { agentId }, body: {} });
  const run = await eventually(async () => {
    const r = await client.ok(getRun, { params: { runId: started.id } });
    return ['succeeded', 'failed', 'cancelled', 'refused'].includes(r.status) ? r : undefined;
  }, `run ${started.id} to finish`);
  expect(run.status).toBe('succeeded');
  const s = (await client.ok(listSuggestions, { query: { status: 'pending' } })).items.find((x) => x.runId === run.id);
  if (s) await client.ok(rejectSuggestion, { params: { suggestionId: s.id }, body: {} });
  return run.id;
}

const exists = async (table: 'agent_run' | 'suggestion', where: { id?: string; run_id?: string }) => {
  const [k, v] = Object.entries(where)[0]!;
  const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${sql.ref(k)} = ${v}`.execute(env.deps.db);
  return r.rows[0]!.n > 0;
};
const stepsOf = (runId: string) =>
  env.deps.db.selectFrom('run_step').select(['input', 'output']).where('run_id', '=', runId).orderBy('idx').execute();

describe('retention', () => {
  it('purges runs, steps, settled suggestions and activity older than the plan’s window, keeps newer ones, and the chain verifies from a signed checkpoint', async () => {
    const p = await personWithProbe();
    const oldRun = await runOnce(p.client, p.agents.propose);
    await logActivity(
      env.deps.db,
      { spaceId: p.spaceId, actorKind: 'person', actorAccountId: p.accountId, kind: 'note.created', summary: 'an old entry' },
      clock().now(),
    );
    expect(await exists('suggestion', { run_id: oldRun })).toBe(true);
    expect(await stepsOf(oldRun)).not.toEqual([]);

    clock().advance(31 * DAY);
    await signInAgain(p);
    const newRun = await runOnce(p.client, p.agents.propose);
    await logActivity(
      env.deps.db,
      { spaceId: p.spaceId, actorKind: 'person', actorAccountId: p.accountId, kind: 'note.created', summary: 'a new entry' },
      clock().now(),
    );
    const before = await verifyChain(systemCtx(env.deps), p.spaceId);
    expect(before.valid).toBe(true);

    await purgeHistory(systemCtx(env.deps));

    expect(await exists('agent_run', { id: oldRun })).toBe(false);
    expect(await stepsOf(oldRun)).toEqual([]);
    expect(await exists('suggestion', { run_id: oldRun })).toBe(false);
    expect(await exists('agent_run', { id: newRun })).toBe(true);
    expect(await stepsOf(newRun)).not.toEqual([]);
    expect(await exists('suggestion', { run_id: newRun })).toBe(true);
    const left = await env.deps.db.selectFrom('activity').select(['summary', 'at']).where('space_id', '=', p.spaceId).execute();
    expect(left.map((a) => a.summary)).toContain('a new entry');
    expect(left.map((a) => a.summary)).not.toContain('an old entry');
    const cutoff = clock().now().getTime() - 30 * DAY;
    expect(left.every((a) => a.at.getTime() >= cutoff)).toBe(true);

    // The chain verifies from the checkpoint, to the same head as before the purge.
    const after = await verifyChain(systemCtx(env.deps), p.spaceId);
    expect(after).toMatchObject({ valid: true, brokenAtSeq: null, headHash: before.headHash, entries: before.entries });
    const cp = await env.deps.db.selectFrom('activity_checkpoint').selectAll().where('space_id', '=', p.spaceId).executeTakeFirstOrThrow();
    // A checkpoint not signed by this instance does not verify.
    await env.deps.db
      .updateTable('activity_checkpoint')
      .set({ signature: '0'.repeat(64) })
      .where('space_id', '=', p.spaceId)
      .execute();
    expect((await verifyChain(systemCtx(env.deps), p.spaceId)).valid).toBe(false);
    await env.deps.db.updateTable('activity_checkpoint').set({ signature: cp.signature }).where('space_id', '=', p.spaceId).execute();
    expect((await verifyChain(systemCtx(env.deps), p.spaceId)).valid).toBe(true);
  });

  it('after a downgrade keeps the old, longer window until 30 days have passed', async () => {
    const p = await personWithProbe();
    await setSpacePlan(systemCtx(env.deps), p.spaceId, 'pro');
    const oldRun = await runOnce(p.client, p.agents.propose);
    clock().advance(40 * DAY);
    await setSpacePlan(systemCtx(env.deps), p.spaceId, 'free');
    // 40 days old, beyond Free's 30 days, but the 365 days of Personal Pro hold for 30 days after the change.
    await purgeHistory(systemCtx(env.deps));
    expect(await exists('agent_run', { id: oldRun })).toBe(true);
    clock().advance(29 * DAY);
    await purgeHistory(systemCtx(env.deps));
    expect(await exists('agent_run', { id: oldRun })).toBe(true);
    clock().advance(2 * DAY);
    await signInAgain(p);
    const recent = await runOnce(p.client, p.agents.propose);
    await purgeHistory(systemCtx(env.deps));
    expect(await exists('agent_run', { id: oldRun })).toBe(false);
    expect(await exists('agent_run', { id: recent })).toBe(true);
  });

  it('purges an agent’s history after its own shorter window, and leaves the other agents to the plan’s', async () => {
    const p = await personWithProbe();
    const r = await p.client.ok(P.updateAgentPrivacy, { params: { agentId: p.agents.short }, body: { historyDays: 7 } });
    expect(r.historyDays).toBe(7);
    const shortRun = await runOnce(p.client, p.agents.short);
    const planRun = await runOnce(p.client, p.agents.propose);
    clock().advance(8 * DAY);
    await purgeHistory(systemCtx(env.deps));
    expect(await exists('agent_run', { id: shortRun })).toBe(false);
    expect(await exists('suggestion', { run_id: shortRun })).toBe(false);
    expect(await exists('agent_run', { id: planRun })).toBe(true);
    expect(await exists('suggestion', { run_id: planRun })).toBe(true);
    const view = (await p.client.ok(P.listPackPrivacy)).items[0]!;
    expect(view.agents.find((a) => a.id === p.agents.short)).toMatchObject({ historyDays: 7, storePayloads: true });
  });
});

describe('what a run stores', () => {
  it('masks the person’s and the operator’s redaction patterns in stored step payloads', async () => {
    const p = await personWithProbe();
    const bad = await p.client.call(P.createRedaction, { body: { label: 'Everything', pattern: '.*' } });
    expect(bad.status).toBe(400);
    await p.client.ok(P.createRedaction, { body: { label: 'ID number', pattern: '\\b\\d{9}\\b' } });
    await env.deps.settings.set(
      env.deps.db,
      privacySetting,
      { deletionGraceDays: 7, exportKeepDays: 7, redactionPatterns: ['CASE-\\d{4}-[A-Z]{2}'] },
      null,
    );
    try {
      const list = await p.client.ok(P.listRedactions);
      expect(list.items.map((x) => x.pattern)).toEqual(['\\b\\d{9}\\b']);
      expect(list.operator).toEqual(['CASE-\\d{4}-[A-Z]{2}']);
      const runId = await runOnce(p.client, p.agents.propose);
      const stored = JSON.stringify(await stepsOf(runId));
      expect(stored).toContain('Call about ID [masked]');
      expect(stored).toContain('Reference [masked]');
      expect(stored).not.toContain('123456789');
      expect(stored).not.toContain('CASE-4411-XY');
      // Another person's patterns are theirs: their runs are masked by the operator's only.
      const q = await personWithProbe();
      const theirs = JSON.stringify(await stepsOf(await runOnce(q.client, q.agents.propose)));
      expect(theirs).toContain('123456789');
      expect(theirs).not.toContain('CASE-4411-XY');
    } finally {
      await env.deps.settings.set(env.deps.db, privacySetting, { deletionGraceDays: 7, exportKeepDays: 7, redactionPatterns: [] }, null);
    }
  });

  it('keeps no step payloads for an agent set to "do not store step payloads", and keeps them again when allowed', async () => {
    const p = await personWithProbe();
    await p.client.ok(P.updateAgentPrivacy, { params: { agentId: p.agents.propose }, body: { storePayloads: false } });
    const without = await stepsOf(await runOnce(p.client, p.agents.propose));
    expect(without.length).toBeGreaterThan(0);
    expect(without.every((s) => s.input === null && s.output === null)).toBe(true);
    await p.client.ok(P.updateAgentPrivacy, { params: { agentId: p.agents.propose }, body: { storePayloads: true } });
    const withPayloads = await stepsOf(await runOnce(p.client, p.agents.propose));
    expect(withPayloads.some((s) => s.input !== null)).toBe(true);
  });
});

describe('exports through the worker', () => {
  it('runs one export of a person at a time: a second one waits while the first runs', async () => {
    const p = await signedUpClient(await env.app());
    const q = await signedUpClient(await env.app());
    const first = await p.client.ok(P.requestExport);
    // Hold the first export inside the worker: its "running" update waits for this transaction's row lock.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = env.deps.db.transaction().execute(async (tx) => {
      await sql`select id from privacy_export where id = ${first.id} for update`.execute(tx);
      locked();
      await released;
    });
    await isLocked;
    const second = await p.client.ok(P.requestExport);
    await eventually(async () => {
      const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where wait_event_type = 'Lock' and query like '%privacy_export%'`.execute(env.deps.db);
      return r.rows[0]!.n > 0;
    }, 'the first export to be blocked inside the worker');
    // Another person's export, asked after both, completes: the worker had its chance at the second.
    const other = await q.client.ok(P.requestExport);
    await eventually(
      async () => (await q.client.ok(P.listExports)).items.find((e) => e.id === other.id && e.status === 'ready'),
      'the other person’s export',
    );
    const mine = (await p.client.ok(P.listExports)).items;
    expect(mine.find((e) => e.id === second.id)!.status).toBe('queued');
    release();
    await holder;
    const done = await eventually(async () => {
      const items = (await p.client.ok(P.listExports)).items;
      return items.filter((e) => e.status === 'ready').length === 2 ? items : undefined;
    }, 'both exports to be ready');
    expect(done.map((e) => e.progress.done === e.progress.total)).toEqual([true, true]);
  });

  it('a download link used by another account answers 404 and stays usable by its owner', async () => {
    const p = await signedUpClient(await env.app());
    const q = await signedUpClient(await env.app());
    const e = await p.client.ok(P.requestExport);
    await eventually(async () => (await p.client.ok(P.listExports)).items.find((x) => x.id === e.id && x.status === 'ready'), 'the export');
    const link = await p.client.ok(P.createDownloadLink, { params: { exportId: e.id } });
    const token = link.url.split('/').pop()!;
    const stolen = await q.client.call(P.downloadExport, { params: { token } });
    expect(stolen.status).toBe(404);
    expect(stolen.error!.code).toBe('not_found');
    // Another account's export id: 404 too, not 409.
    expect((await q.client.call(P.createDownloadLink, { params: { exportId: e.id } })).status).toBe(404);
    const app = await env.app();
    const own = await app.inject({ method: 'GET', url: link.url, headers: { cookie: p.client.cookie! } });
    expect(own.statusCode).toBe(200);
    expect(own.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
  });
});

describe('csme import', () => {
  it('loads an export into a fresh instance as a command, reading the new password from standard input', async () => {
    const p = await signedUpClient(await env.app(), { name: 'Moving Person' });
    const e = await p.client.ok(P.requestExport);
    await eventually(async () => (await p.client.ok(P.listExports)).items.find((x) => x.id === e.id && x.status === 'ready'), 'the export');
    const link = await p.client.ok(P.createDownloadLink, { params: { exportId: e.id } });
    const res = await (await env.app()).inject({ method: 'GET', url: link.url, headers: { cookie: p.client.cookie! } });
    const dir = mkdtempSync(join(tmpdir(), 'csme-import-cli-'));
    const file = join(dir, 'export.zip');
    writeFileSync(file, res.rawPayload);

    const keysFile = generateKeysFile();
    const fresh = await createTestEnv({ keys: fromSources({}, keysFile) });
    try {
      const keyEnv = Object.fromEntries(
        keysAsEnv(keysFile)
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const root = resolve(import.meta.dirname, '../../../..');
      const out = execFileSync(process.execPath, [join(root, 'server/bin/csme.js'), 'import', file, '--password-stdin'], {
        cwd: root,
        env: { ...process.env, ...keyEnv, DATABASE_URL: fresh.databaseUrl, CSME_DATA_DIR: fresh.dataDir, LOG_LEVEL: 'warn' },
        input: 'a brand new password\n',
        encoding: 'utf8',
      });
      expect(out).toContain(`Imported ${p.email}`);
      const c = new TestClient(await fresh.app());
      const s = await c.ok(A.signIn, { body: { email: p.email, password: 'a brand new password' } });
      expect(s.status).toBe('signed_in');
      if (s.status === 'signed_in') expect(s.session.account).toMatchObject({ id: p.accountId, displayName: 'Moving Person' });
      // The import is in the new instance's activity log, whose chain verifies.
      expect((await verifyChain(systemCtx(fresh.deps), p.spaceId)).valid).toBe(true);
      // A short password is refused before anything is loaded.
      let refused = '';
      try {
        execFileSync(process.execPath, [join(root, 'server/bin/csme.js'), 'import', file, '--password-stdin'], {
          cwd: root,
          env: { ...process.env, ...keyEnv, DATABASE_URL: fresh.databaseUrl, CSME_DATA_DIR: fresh.dataDir, LOG_LEVEL: 'warn' },
          input: 'short\n',
          encoding: 'utf8',
          stdio: 'pipe',
        });
      } catch (err) {
        refused = String((err as { stderr: string }).stderr);
      }
      expect(refused).toContain('10 characters or more');
    } finally {
      await fresh.close();
    }
  });
});
