import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { modelsSetting } from '#modules/models/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestEnv } from '#test/harness.js';

// The test worker counts a silent process as dead after 5 s; this step takes longer than that.
const STEP_MS = 7000;
let env: TestEnv;
let calls = 0;

beforeAll(async () => {
  env = await createTestEnv({
    clock: { now: () => new Date() },
    languageModel: () =>
      new MockLanguageModelV3({
        doGenerate: async () => {
          calls++;
          await new Promise((r) => setTimeout(r, STEP_MS));
          return {
            content: [{ type: 'text', text: JSON.stringify({ title: 'Call the plumber' }) }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: {
              inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
              outputTokens: { total: 5, text: 5, reasoning: 0 },
            },
            warnings: [],
          };
        },
      }) as never,
  });
  const dir = mkdtempSync(join(tmpdir(), 'csme-long-packs-'));
  mkdirSync(join(dir, 'slow-thinker'));
  writeFileSync(
    join(dir, 'slow-thinker/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'slow-thinker',
      version: '1.0.0',
      platform: '>=1.0.0',
      name: 'Slow thinker',
      description: 'One model call that takes a while.',
      persona: 'anyone',
      icon: '🐢',
      scopes: ['model', 'tasks:read'],
      agents: [
        {
          id: 'think',
          name: 'Think',
          description: 'Thinks slowly.',
          triggers: [{ type: 'manual' }],
          steps: [
            {
              id: 'think',
              model: {
                system: 'Name a task.',
                prompt: 'Anything.',
                output: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
              },
              fallback: { skill: 'tasks.digest', input: { tasks: [] } },
            },
          ],
        },
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  await env.deps.settings.set(
    env.deps.db,
    modelsSetting,
    { ...modelsSetting.defaults, enabled: true, baseUrl: 'https://models.example.test/v1', apiKey: 'sk-test' },
    null,
  );
  await env.worker();
});
afterAll(() => env.close());

describe('a run longer than the dead-worker timeout', () => {
  it('runs once: its live worker keeps the job, nobody releases it as orphaned', async () => {
    const { client } = await signedUpClient(await env.app());
    const inst = await client.ok(P.installPack, {
      params: { packId: 'slow-thinker' },
      body: { settings: {}, grantedScopes: ['model', 'tasks:read'] },
    });
    const run = await client.ok(runAgentNow, { params: { agentId: inst.agents[0]!.id }, body: {} });
    const done = await eventually(
      async () => {
        const r = await client.ok(getRun, { params: { runId: run.id } });
        return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
      },
      'the slow run to finish',
      60_000,
      200,
    );
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => s.stepKey)).toEqual(['think']);
    expect(calls).toBe(1);
    const row = await env.deps.db.selectFrom('agent_run').select('attempts').where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(row.attempts).toBe(1);
  }, 90_000);
});
