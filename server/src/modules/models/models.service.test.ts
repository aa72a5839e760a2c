import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getModelStatus, setLocalOnly, setPersonalModel } from '@csme/contracts/models';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { MockLanguageModelV3 } from 'ai/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { modelsSetting } from './models.config.js';

let env: TestEnv;
let fail = false;
const calls: string[] = [];

function mockModel() {
  return new MockLanguageModelV3({
    doGenerate: async (opts) => {
      calls.push(JSON.stringify(opts.prompt).slice(0, 200));
      if (fail) throw new Error('connect ECONNREFUSED 10.0.0.1:443 (Bearer sk-secret123)');
      return {
        content: [{ type: 'text', text: JSON.stringify({ title: 'Pay the electricity bill', urgent: true }) }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 120, noCache: 120, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 30, text: 30, reasoning: 0 },
        },
        warnings: [],
      };
    },
  });
}

async function runAndWait(client: TestClient, agentId: string) {
  const r = await client.ok(runAgentNow, { params: { agentId }, body: { input: { text: 'Your electricity bill of $80 is due Friday' } } });
  return eventually(async () => {
    const d = await client.ok(getRun, { params: { runId: r.id } });
    return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
  }, 'the run');
}

beforeAll(async () => {
  env = await createTestEnv({ languageModel: () => mockModel() as never });
  const dir = mkdtempSync(join(tmpdir(), 'csme-model-packs-'));
  mkdirSync(join(dir, 'bill-reader'));
  writeFileSync(
    join(dir, 'bill-reader/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'bill-reader',
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
                output: {
                  type: 'object',
                  properties: { title: { type: 'string' }, urgent: { type: 'boolean' } },
                  required: ['title', 'urgent'],
                },
              },
              fallback: { skill: 'tasks.digest', input: { tasks: [] } },
            },
          ],
        },
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  await env.worker();
});
afterAll(() => env.close());

async function setup() {
  const s = await signedUpClient(await env.app());
  const inst = await s.client.ok(P.installPack, {
    params: { packId: 'bill-reader' },
    body: { settings: {}, grantedScopes: ['model', 'tasks:read'] },
  });
  return { ...s, agentId: inst.agents[0]!.id };
}

describe('model steps', () => {
  it('use the local engine when no provider is configured', async () => {
    const { client, agentId } = await setup();
    const run = await runAndWait(client, agentId);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]!.output).toMatchObject({ title: 'No open tasks today' });
    expect(run.tokensIn).toBe(0);
    expect((await client.ok(getModelStatus)).source).toBe('none');
  });

  it("call the operator's model when configured, metered to the run with its cost, and logged without its content", async () => {
    await env.deps.settings.set(
      env.deps.db,
      modelsSetting,
      {
        ...modelsSetting.defaults,
        enabled: true,
        model: 'gpt-4o-mini',
        baseUrl: 'https://models.example.test/v1',
        apiKey: 'sk-operator-key',
      },
      null,
    );
    const { client, agentId, spaceId } = await setup();
    const run = await runAndWait(client, agentId);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]!.output).toEqual({ title: 'Pay the electricity bill', urgent: true });
    expect(run).toMatchObject({ tokensIn: 120, tokensOut: 30, costMicros: 36 });
    expect(calls.at(-1)).toContain('Bill: Your electricity bill of $80 is due Friday');
    const status = await client.ok(getModelStatus);
    expect(status).toMatchObject({
      source: 'operator',
      model: 'gpt-4o-mini',
      last30Days: { calls: 1, tokensIn: 120, tokensOut: 30, costMicros: 36 },
    });
    const logged = await env.deps.db
      .selectFrom('activity')
      .select(['kind', 'summary', 'data'])
      .where('space_id', '=', spaceId)
      .where('kind', '=', 'model.call')
      .execute();
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged)).not.toContain('electricity');
    expect(JSON.stringify(env.logs)).not.toContain('sk-operator-key');
  });

  it("stay on the local engine in a local-only space, and a person's own key needs a plan with all connectors", async () => {
    const { client, agentId } = await setup();
    await client.ok(setLocalOnly, { body: { localOnly: true } });
    const run = await runAndWait(client, agentId);
    expect(run.tokensIn).toBe(0);
    const mine = await client.call(setPersonalModel, { body: { provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-mine' } });
    expect(mine.status).toBe(402);
  });

  it('fail the step with a readable reason when the provider is down, without leaking the key, after retries', async () => {
    fail = true;
    try {
      const { client, agentId } = await setup();
      const r = await client.ok(runAgentNow, { params: { agentId }, body: { input: { text: 'x' } } });
      await eventually(async () => {
        const calls = await env.deps.db.selectFrom('model_call').select(['ok', 'error']).where('run_id', '=', r.id).execute();
        return calls.length >= 1 ? calls : undefined;
      }, 'a failed model call');
      const failed = await env.deps.db
        .selectFrom('model_call')
        .select(['ok', 'error'])
        .where('run_id', '=', r.id)
        .executeTakeFirstOrThrow();
      expect(failed.ok).toBe(false);
      expect(failed.error).not.toContain('sk-secret123');
      const run = await client.ok(getRun, { params: { runId: r.id } });
      expect(['queued', 'running', 'failed']).toContain(run.status);
    } finally {
      fail = false;
    }
  });
});
