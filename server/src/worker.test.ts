import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { queueEmail, renderEmail } from '#modules/notifications/index.js';
import { createTestEnv, eventually, type TestEnv } from '#test/harness.js';

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
});
