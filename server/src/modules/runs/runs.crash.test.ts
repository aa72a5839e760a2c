import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as P from '@csme/contracts/packs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { fromSources, generateKeysFile, keysAsEnv } from '#core/keys.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';
import { admitRun } from './runs.service.js';

const root = resolve(import.meta.dirname, '../../../..');
const keysFile = generateKeysFile();
const keyEnv = Object.fromEntries(
  keysAsEnv(keysFile)
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
);
let env: TestEnv;
const workers: ChildProcess[] = [];

/** A worker process as production runs it: `csme serve --role worker` on the shared database. */
function startWorkerProcess(_packsDir: string): ChildProcess {
  const child = spawn(process.execPath, [join(root, 'server/bin/csme.js'), 'serve', '--role', 'worker'], {
    cwd: root,
    env: {
      ...process.env,
      ...keyEnv,
      DATABASE_URL: env.databaseUrl,
      LOG_LEVEL: 'warn',
      CSME_WORKER_CONCURRENCY: '4',
      CSME_WORKER_HEARTBEAT_MS: '300',
      CSME_WORKER_DEAD_AFTER_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.resume();
  child.stderr!.resume();
  workers.push(child);
  return child;
}

beforeAll(async () => {
  env = await createTestEnv({ keys: fromSources({}, keysFile), clock: { now: () => new Date() } });
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await env.close();
});

describe('a worker killed with -9 in the middle of 100 runs', () => {
  it('loses no run, counts none twice, and performs no action twice', async () => {
    // A pack whose agent does three steps and creates a task on its own (policy auto), keyed per run.
    const dir = mkdtempSync(join(tmpdir(), 'csme-crash-packs-'));
    mkdirSync(join(dir, 'busy'));
    writeFileSync(
      join(dir, 'busy/pack.json'),
      JSON.stringify({
        manifestVersion: 1,
        id: 'busy',
        version: '1.0.0',
        platform: '>=1.0.0',
        name: 'Busy',
        description: 'Works and files a task for every run.',
        persona: 'anyone',
        icon: '🐝',
        scopes: ['tasks:read', 'tasks:write'],
        agents: [
          {
            id: 'worker-bee',
            name: 'Worker bee',
            description: 'Reads, summarises, files a task.',
            triggers: [{ type: 'manual' }],
            steps: [
              { id: 'read', skill: 'tasks.list', input: { limit: 5 } },
              { id: 'digest', skill: 'tasks.digest', input: { tasks: '$.steps.read.output.tasks' } },
              { id: 'file', skill: 'tasks.create', input: { title: 'Run {{$.trigger.n}}' } },
            ],
            policies: { 'tasks.create': 'auto' },
          },
        ],
      }),
    );
    await syncBuiltinPacks(systemCtx(env.deps), dir);
    const { client, spaceId, email } = await signedUpClient(await env.app());
    const { setSpacePlan } = await import('#modules/admin/index.js');
    await setSpacePlan(systemCtx(env.deps), email, 'pro');
    const inst = await client.ok(P.installPack, {
      params: { packId: 'busy' },
      body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write'] },
    });
    const agentId = inst.agents[0]!.id;

    const a = startWorkerProcess(dir);
    startWorkerProcess(dir);
    const ctx = systemCtx(env.deps);
    for (let n = 0; n < 100; n++) await admitRun(ctx, { spaceId, agentId, kind: 'manual', key: `manual:${n}`, data: { n } });

    // Kill one worker once the others are well under way.
    await eventually(
      async () => {
        const r = await sql<{
          n: number;
        }>`select count(*)::int as n from agent_run where space_id = ${spaceId} and status = 'succeeded'`.execute(env.deps.db);
        return r.rows[0]!.n >= 15 || undefined;
      },
      '15 runs done',
      60_000,
    );
    a.kill('SIGKILL');
    startWorkerProcess(dir);

    const final = await eventually(
      async () => {
        const r = await sql<{
          status: string;
          n: number;
        }>`select status, count(*)::int as n from agent_run where space_id = ${spaceId} group by status`.execute(env.deps.db);
        const by = Object.fromEntries(r.rows.map((x) => [x.status, x.n]));
        return (by.succeeded ?? 0) + (by.failed ?? 0) === 100 ? by : undefined;
      },
      'all 100 runs to finish after the kill',
      90_000,
      200,
    );
    expect(final).toEqual({ succeeded: 100 });
    const usage = await env.deps.db
      .selectFrom('usage_counter')
      .select('used')
      .where('space_id', '=', spaceId)
      .where('metric', '=', 'runs')
      .executeTakeFirstOrThrow();
    expect(usage.used).toBe(100);
    const actions = await sql<{
      status: string;
      n: number;
    }>`select status, count(*)::int as n from suggestion where space_id = ${spaceId} group by status`.execute(env.deps.db);
    await eventually(
      async () => {
        const r = await sql<{
          n: number;
        }>`select count(*)::int as n from suggestion where space_id = ${spaceId} and status = 'done'`.execute(env.deps.db);
        return r.rows[0]!.n === 100 || undefined;
      },
      'all 100 actions recorded done',
      60_000,
    );
    expect(actions.rows.reduce((s, r) => s + r.n, 0)).toBe(100);
    const tasks = await sql<{
      title: string;
      n: number;
    }>`select title, count(*)::int as n from task where space_id = ${spaceId} group by title`.execute(env.deps.db);
    expect(tasks.rows).toHaveLength(100);
    expect(tasks.rows.every((t) => t.n === 1)).toBe(true);
  }, 240_000);
});
