import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { listSuggestions } from '@csme/contracts/suggestions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

let env: TestEnv;
let client: TestClient;
const agents: Record<string, string> = {};

const code = {
  'steps/plan.js': `async function main(input, platform) {
    const words = input.text.split(/\\s+/).filter(Boolean);
    platform.log('words', words.length);
    const made = await platform.call('tasks.create', { title: 'Read: ' + words.slice(0, 3).join(' ') });
    return { words: words.length, made };
  }`,
  'steps/loop.js': 'async function main() { while (true) {} }',
  'steps/bomb.js': 'async function main() { const a = []; for (;;) a.push(new Array(100000).fill(1)); }',
  'steps/escape.js': `async function main(input, platform) {
    const out = {};
    try { out.process = typeof this.constructor.constructor('return process')(); } catch (e) { out.process = 'blocked'; }
    try { out.require = typeof require; } catch (e) { out.require = 'blocked'; }
    try { await platform.call('notify.person', { title: 'not granted' }); out.notify = 'called'; } catch (e) { out.notify = String(e.message); }
    return out;
  }`,
  'steps/sneak.js': "async function main(input, platform) { return platform.call('tasks.list', {}); }",
};

beforeAll(async () => {
  env = await createTestEnv();
  const dir = mkdtempSync(join(tmpdir(), 'csme-code-packs-'));
  mkdirSync(join(dir, 'coder/steps'), { recursive: true });
  for (const [f, src] of Object.entries(code)) writeFileSync(join(dir, 'coder', f), src);
  const agent = (id: string, file: string, skills: string[] = []) => ({
    id,
    name: id,
    description: id,
    triggers: [{ type: 'manual' }],
    steps: [{ id: 'run-code', code: file, input: { text: '$.trigger.text' }, skills }],
    budget: { maxSeconds: 3 },
  });
  writeFileSync(
    join(dir, 'coder/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'coder',
      version: '1.0.0',
      platform: '>=1.0.0',
      name: 'Coder',
      description: 'Code steps.',
      persona: 'anyone',
      icon: '🧑‍💻',
      scopes: ['tasks:write'],
      agents: [
        agent('planner', 'steps/plan.js', ['tasks.create']),
        agent('looper', 'steps/loop.js'),
        agent('bomber', 'steps/bomb.js'),
        agent('escaper', 'steps/escape.js'),
        agent('sneaker', 'steps/sneak.js', ['tasks.list']),
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  const s = await signedUpClient(await env.app());
  client = s.client;
  await setSpacePlan(systemCtx(env.deps), s.email, 'pro');
  const inst = await client.ok(P.installPack, { params: { packId: 'coder' }, body: { settings: {}, grantedScopes: ['tasks:write'] } });
  for (const a of inst.agents) agents[a.key] = a.id;
  await env.worker();
});
afterAll(() => env.close());

async function run(key: string, text = 'Buy milk and bread today please') {
  const r = await client.ok(runAgentNow, { params: { agentId: agents[key]! }, body: { input: { text } } });
  return eventually(
    async () => {
      const d = await client.ok(getRun, { params: { runId: r.id } });
      return ['succeeded', 'failed'].includes(d.status) ? d : undefined;
    },
    `${key} to finish`,
    30_000,
  );
}

describe('code steps in the sandbox', () => {
  it('run creator code that computes and proposes an action through a granted skill', async () => {
    const r = await run('planner');
    expect(r.status).toBe('succeeded');
    expect(r.steps[0]!.output).toMatchObject({ words: 6, made: { status: 'pending' } });
    const inbox = await client.ok(listSuggestions);
    expect(inbox.items.map((s) => s.title)).toContain('Create a task: Read: Buy milk and');
  });

  it('stop an endless loop and a memory bomb with a clear reason, and keep serving the next run', async () => {
    const loop = await run('looper');
    expect(loop.status).toBe('failed');
    expect(loop.error).toMatch(/ran out of time/);
    const bomb = await run('bomber');
    expect(bomb.status).toBe('failed');
    expect(bomb.error).toMatch(/too much memory|ran out of time/);
    expect((await run('planner')).status).toBe('succeeded');
  }, 60_000);

  it('give the code no way to process, require, or skills the step does not list', async () => {
    const r = await run('escaper');
    expect(r.status).toBe('succeeded');
    expect(r.steps[0]!.output).toEqual({ process: 'blocked', require: 'undefined', notify: expect.stringMatching(/not|unknown|granted/i) });
  });

  it('refuse a listed skill the pack has no scope for', async () => {
    const r = await run('sneaker');
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/not allowed to use tasks.list \(it needs tasks:read\)/);
  });
});
