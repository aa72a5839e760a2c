import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { queueEmail, renderEmail } from '#modules/notifications/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv();
});
afterAll(() => env.close());

const mail = () => renderEmail({ locale: 'en', subject: 'Hi', greeting: 'Hello', paragraphs: ['Body'], footer: 'Footer' });
const statusOf = async (id: string) =>
  (await env.deps.db.selectFrom('email_outbox').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

describe('jobs', () => {
  it('adds a job with the row in one transaction: a rollback leaves neither', async () => {
    let id = '';
    await expect(
      env.deps.db.transaction().execute(async (tx) => {
        id = await queueEmail({ ...systemCtx(env.deps), db: tx }, { to: 'a@example.test', kind: 'test', email: mail() });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await env.deps.db.selectFrom('email_outbox').select('id').where('id', '=', id).execute();
    const jobs = await sql<{
      n: number;
    }>`select count(*)::int as n from graphile_worker._private_jobs where payload->>'emailId' = ${id}`.execute(env.deps.db);
    expect(rows).toEqual([]);
    expect(jobs.rows[0]!.n).toBe(0);
  });

  it('releases the jobs of a worker process that died (kill -9) instead of keeping them locked for hours', async () => {
    const id = await queueEmail(systemCtx(env.deps), { to: 'b@example.test', kind: 'test', email: mail() });
    // A worker process that took the job and then vanished: its lock stays, its heartbeat stopped.
    await sql`update graphile_worker._private_jobs set locked_by = 'worker-dead-1', locked_at = now() where payload->>'emailId' = ${id}`.execute(
      env.deps.db,
    );
    await sql`insert into worker_node (id, role, hostname, pid, worker_ids, last_seen_at) values ('node-dead', 'worker', 'gone', 1, '{worker-dead-1}', now() - interval '2 minutes')`.execute(
      env.deps.db,
    );
    const t0 = Date.now();
    await env.worker();
    await eventually(async () => (await statusOf(id)) === 'captured', 'the released job to run', 30_000);
    expect(Date.now() - t0).toBeLessThan(60_000);
    const nodes = await env.deps.db.selectFrom('worker_node').select('id').execute();
    expect(nodes.map((n) => n.id)).not.toContain('node-dead');
  });

  it('runs again a job its own live worker could not record the outcome of (the database went away as it finished)', async () => {
    // Regression (found by the fault suite): graphile-worker 0.17 records a job's outcome without awaiting
    // it; when that write failed the job stayed locked by a live process, which no dead-worker check frees.
    const handle = await env.worker();
    const lockIds = await eventually(async () => {
      const r = await sql<{ worker_ids: string[] }>`select worker_ids from worker_node where id = ${handle.nodeId}`.execute(env.deps.db);
      return r.rows[0]?.worker_ids.length ? r.rows[0].worker_ids : undefined;
    }, 'the worker to record the id it locks jobs with');
    const id = await env.deps.db.transaction().execute(async (tx) => {
      const emailId = await queueEmail({ ...systemCtx(env.deps), db: tx }, { to: 'c@example.test', kind: 'test', email: mail() });
      await sql`update graphile_worker._private_jobs set locked_by = ${lockIds[0]}, locked_at = now() - interval '10 seconds'
        where payload->>'emailId' = ${emailId}`.execute(tx);
      return emailId;
    });
    await eventually(async () => (await statusOf(id)) === 'captured', 'the job to be released and run', 30_000);
  });

  it('starts a new job runner when graphile-worker ends one by itself, so the process keeps taking jobs', async () => {
    // Found by the fault suite: with the database away past its retries graphile-worker 0.17 ends its
    // runner (a completion it could not record, a failed worker loop); the process then exited with 0.
    const handle = await env.worker();
    const before = handle.runnerRestarts;
    const ended = handle.runner;
    await ended.stop();
    await eventually(async () => handle.runnerRestarts === before + 1 || undefined, 'a new runner to start');
    expect(handle.runner).not.toBe(ended);
    const id = await queueEmail(systemCtx(env.deps), { to: 'd@example.test', kind: 'test', email: mail() });
    await eventually(async () => (await statusOf(id)) === 'captured', 'the new runner to run a job', 30_000);
  });

  it("keeps a live worker's long job its own: a run longer than the dead-after time is not given to another worker", async () => {
    // Regression (found by the fault suite): graphile-worker 0.17 locks jobs with its pool's id, and the
    // heartbeat recorded the ids of the pool's workers instead, so every job locked longer than the
    // dead-after time counted as an orphan and was handed out again while its worker still ran it.
    const dir = mkdtempSync(join(tmpdir(), 'csme-slow-packs-'));
    mkdirSync(join(dir, 'slow/steps'), { recursive: true });
    // Busy for a while in the sandbox (its own thread): the process keeps its heartbeat meanwhile.
    writeFileSync(
      join(dir, 'slow/steps/wait.js'),
      'async function main() { const t = Date.now(); while (Date.now() - t < 8000) {} return 1 }',
    );
    writeFileSync(
      join(dir, 'slow/pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id: 'slow',
        version: '1.0.0',
        platform: '>=1.0.0',
        name: 'Slow',
        description: 'One long step.',
        persona: 'anyone',
        icon: '🐢',
        scopes: [],
        agents: [
          {
            id: 'slowpoke',
            name: 'Slowpoke',
            description: 'Takes its time.',
            triggers: [{ type: 'manual' }],
            steps: [{ id: 'wait', code: 'steps/wait.js', input: {} }],
            budget: { maxSeconds: 25 },
          },
        ],
      }),
    );
    await syncBuiltinPacks(systemCtx(env.deps), dir);
    const { client, email } = await signedUpClient(await env.app());
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const inst = await client.ok(P.installPack, { params: { packId: 'slow' }, body: { settings: {}, grantedScopes: [] } });
    await env.worker();
    const run = await client.ok(runAgentNow, { params: { agentId: inst.agents[0]!.id }, body: { input: {} } });
    const done = await eventually(
      async () => {
        const d = await client.ok(getRun, { params: { runId: run.id } });
        return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
      },
      'the slow run to finish',
      45_000,
      100,
    );
    expect(done.status).toBe('succeeded');
    const row = await env.deps.db.selectFrom('agent_run').select('attempts').where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);
  }, 60_000);
});
