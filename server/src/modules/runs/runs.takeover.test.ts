import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '@csme/contracts/packs';
import { getRun } from '@csme/contracts/runs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { admitRun, executeRun } from './runs.service.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

describe('a worker whose run another worker took over (it was presumed dead)', () => {
  it('records nothing more when it wakes: the newer claim finishes the run, the stale one stops', async () => {
    // Regression (the fault suite): a worker frozen past its lease woke up and finished the run again,
    // rewriting what the worker that took it over had recorded, and completed a job no longer its own.
    const dir = mkdtempSync(join(tmpdir(), 'csme-takeover-packs-'));
    mkdirSync(join(dir, 'twice/steps'), { recursive: true });
    writeFileSync(
      join(dir, 'twice/steps/wait.js'),
      'async function main() { const t = Date.now(); while (Date.now() - t < 3000) {} return 1 }',
    );
    writeFileSync(
      join(dir, 'twice/pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id: 'twice',
        version: '1.0.0',
        platform: '>=1.0.0',
        name: 'Twice',
        description: 'A slow step, then a task.',
        persona: 'anyone',
        icon: '🔁',
        scopes: ['tasks:write'],
        agents: [
          {
            id: 'slow-then-task',
            name: 'Slow, then a task',
            description: 'Waits, then files a task.',
            triggers: [{ type: 'manual' }],
            steps: [
              { id: 'wait', code: 'steps/wait.js', input: {} },
              { id: 'file', skill: 'tasks.create', input: { title: 'Filed once' } },
            ],
            policies: { 'tasks.create': 'suggest' },
            budget: { maxSeconds: 30 },
          },
        ],
      }),
    );
    await syncBuiltinPacks(systemCtx(env.deps), dir);
    const { client, spaceId, email } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const inst = await client.ok(P.installPack, { params: { packId: 'twice' }, body: { settings: {}, grantedScopes: ['tasks:write'] } });
    const a = await admitRun(systemCtx(env.deps), { spaceId, agentId: inst.agents[0]!.id, kind: 'manual', key: 'once', data: {} });
    if (a.status !== 'queued') throw new Error(`not admitted: ${a.status}`);
    const helpers = { jobId: '1', attempts: 1, maxAttempts: 5, signal: new AbortController().signal };
    const stale = executeRun(systemCtx(env.deps), spaceId, a.runId, helpers);
    stale.catch(() => undefined);
    const row = () => env.deps.db.selectFrom('agent_run').selectAll().where('id', '=', a.runId).executeTakeFirstOrThrow();
    await eventually(async () => (await row()).attempts === 1, 'the first worker to claim the run');
    // The first worker is in its slow step when the second one, given the job, claims the run and finishes it.
    await executeRun(systemCtx(env.deps), spaceId, a.runId, { ...helpers, attempts: 2 });
    const finished = await row();
    expect(finished).toMatchObject({ status: 'succeeded', attempts: 2 });
    await expect(stale).rejects.toThrow(/taken over by another worker/);
    expect(await row()).toEqual(finished);
    const suggestions = await env.deps.db.selectFrom('suggestion').select('id').where('run_id', '=', a.runId).execute();
    expect(suggestions).toHaveLength(1);
  }, 60_000);
});

describe('a run whose every worker died', () => {
  it('is recorded failed, in words, instead of staying "running" forever', async () => {
    // Regression (the fault suite): a job whose last attempt died with its worker is never taken again,
    // and its run stayed `running` with nothing left to finish it.
    const { client, spaceId } = await signedUpClient(await env.app());
    const inst = await client.ok(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    const agentId = inst.agents.find((a) => a.key === 'welcome-task')!.id;
    const a = await admitRun(systemCtx(env.deps), { spaceId, agentId, kind: 'manual', key: 'doomed', data: {} });
    if (a.status !== 'queued') throw new Error(`not admitted: ${a.status}`);
    // Five workers took it in turn and were killed; the last one's lock was released by the heartbeat check.
    await sql`update agent_run set status = 'running', attempts = 5 where id = ${a.runId}`.execute(env.deps.db);
    await sql`update graphile_worker._private_jobs set attempts = max_attempts, locked_by = null, locked_at = null
      where payload->>'runId' = ${a.runId}`.execute(env.deps.db);
    await env.worker();
    const run = await eventually(async () => {
      const r = await client.ok(getRun, { params: { runId: a.runId } });
      return r.status === 'failed' ? r : undefined;
    }, 'the abandoned run to be recorded failed');
    expect(run.error).toMatch(/interrupted 5 times on our side/);
  });
});
