import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listActivity } from '@csme/contracts/activity';
import * as L from '@csme/contracts/lab';
import * as P from '@csme/contracts/packs';
import { getRun, runAgentNow } from '@csme/contracts/runs';
import { listSuggestions } from '@csme/contracts/suggestions';
import { assignVariant } from '@csme/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import { syncBuiltinPacks } from '#modules/packs/index.js';
import { createTestEnv, eventually, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';
import { figure, t975 } from './lab.policy.js';

let env: TestEnv;
let op: TestClient;
type Person = Awaited<ReturnType<typeof signedUpClient>> & { agentId: string; installationId: string };
const people: Person[] = [];
const VARIANTS = [
  { id: 'control', weight: 1 },
  { id: 'short', weight: 1 },
];

async function install(client: TestClient) {
  return client.ok(P.installPack, { params: { packId: 'lab-test' }, body: { settings: {}, grantedScopes: ['tasks:write'] } });
}

async function finished(client: TestClient, runId: string) {
  return eventually(async () => {
    const r = await client.ok(getRun, { params: { runId } });
    return ['succeeded', 'failed', 'cancelled', 'refused'].includes(r.status) ? r : undefined;
  }, `run ${runId}`);
}

const variantOfRun = async (runId: string) =>
  (await env.deps.db.selectFrom('agent_run').select('variant').where('id', '=', runId).executeTakeFirstOrThrow()).variant;

beforeAll(async () => {
  env = await createTestEnv();
  const dir = mkdtempSync(join(tmpdir(), 'csme-lab-'));
  mkdirSync(join(dir, 'lab-test'));
  const propose = (title: string) => [{ id: 'propose', skill: 'tasks.create', input: { title } }];
  writeFileSync(
    join(dir, 'lab-test/pack.json'),
    JSON.stringify({
      manifestVersion: 1,
      id: 'lab-test',
      version: '1.0.0',
      platform: '>=1.0.0',
      name: 'Lab test',
      description: 'An agent with two variants.',
      persona: 'anyone',
      icon: '🧪',
      scopes: ['tasks:write'],
      agents: [
        {
          id: 'propose',
          name: 'Proposer',
          description: 'Proposes a task.',
          triggers: [{ type: 'manual' }],
          steps: propose('Declared title'),
          variants: [
            { id: 'control', name: 'As declared' },
            { id: 'short', name: 'Short title', steps: propose('Short title') },
          ],
        },
      ],
    }),
  );
  await syncBuiltinPacks(systemCtx(env.deps), dir);
  const app = await env.app();
  op = (await signedUpClient(app, { name: 'Olga Operator' })).client;
  await env.worker();
  for (let i = 0; i < 6; i++) {
    const p = await signedUpClient(app, { name: `Lab Person ${i}` });
    const inst = await install(p.client);
    people.push({ ...p, agentId: inst.agents[0]!.id, installationId: inst.id });
  }
});
afterAll(async () => {
  await env.close();
});

describe('variant assignment', () => {
  it('is deterministic and sticky per space, and the executor runs the assigned variant', async () => {
    for (const p of people) {
      const expected = assignVariant(VARIANTS, `${p.spaceId}:lab-test:propose`);
      const first = await finished(p.client, (await p.client.ok(runAgentNow, { params: { agentId: p.agentId }, body: {} })).id);
      expect(first.status).toBe('succeeded');
      expect(await variantOfRun(first.id)).toBe(expected);
      const agent = await env.deps.db.selectFrom('agent').select('variant').where('id', '=', p.agentId).executeTakeFirstOrThrow();
      expect(agent.variant).toBe(expected);
      // The steps of that variant ran: the suggestion carries its title.
      const { items } = await p.client.ok(listSuggestions, { query: { status: 'pending' } });
      expect(items.map((s) => s.title)).toEqual([`Create a task: ${expected === 'short' ? 'Short title' : 'Declared title'}`]);
      // Sticky: the next run keeps it.
      const second = await finished(p.client, (await p.client.ok(runAgentNow, { params: { agentId: p.agentId }, body: {} })).id);
      expect(await variantOfRun(second.id)).toBe(expected);
    }
  });

  it('a space that opts out runs the agent as declared; opting back in restores its assignment', async () => {
    const p = people[0]!;
    const before = await variantOfRun(
      (await finished(p.client, (await p.client.ok(runAgentNow, { params: { agentId: p.agentId }, body: {} })).id)).id,
    );
    expect(await p.client.ok(L.setLabParticipation, { body: { optedOut: true } })).toMatchObject({ optedOut: true });
    const out = await finished(p.client, (await p.client.ok(runAgentNow, { params: { agentId: p.agentId }, body: {} })).id);
    expect(await variantOfRun(out.id)).toBeNull();
    const log = (await p.client.ok(listActivity, { query: { kind: 'settings.changed' } })).items;
    expect(log[0]!.summary).toContain('Opted this space out of the experimentation lab');
    expect(await p.client.ok(L.setLabParticipation, { body: { optedOut: false } })).toEqual({ optedOut: false, optedOutAt: null });
    const back = await finished(p.client, (await p.client.ok(runAgentNow, { params: { agentId: p.agentId }, body: {} })).id);
    expect(await variantOfRun(back.id)).toBe(before);
  });
});

describe('lab statistics', () => {
  it('uses Student’s t at 95% and withholds any figure with fewer than 5 spaces', () => {
    expect(t975(4)).toBe(2.776);
    expect(t975(35)).toBe(2.042); // between table rows: the smaller df (wider)
    expect(t975(500)).toBe(1.96);
    expect(figure([1, 0.5, 0.5, 0], { rate: true })).toEqual({ value: null, low: null, high: null, spaces: 4 });
    expect(figure([1, 0.5, 0.5, 0, 1], { rate: true })).toEqual({ value: 0.6, low: 0.080658, high: 1, spaces: 5 });
  });
});

describe('the lab page (operators)', () => {
  // Seeded runs of a second agent key, so the figures have known answers: variant "short" in five spaces
  // (S1-S5), "control" in four (S6-S9), and one opted-out space (S10) that must never count.
  let spaces: Person[] = [];

  async function seed(
    p: Person,
    variant: string,
    runs: Array<{ failed?: boolean; micros?: number; suggestions: Array<'approved' | 'edited' | 'rejected' | 'auto'> }>,
  ) {
    for (const r of runs) {
      const runId = newId();
      const start = new Date(env.clock.now().getTime() - 3_600_000);
      await env.deps.db
        .insertInto('agent_run')
        .values({
          id: runId,
          space_id: p.spaceId,
          owner_account_id: p.accountId,
          visibility: 'shared',
          agent_id: p.agentId,
          installation_id: p.installationId,
          trigger_kind: 'manual',
          trigger_key: `seed:${runId}`,
          status: r.failed ? 'failed' : 'succeeded',
          queued_at: start,
          started_at: start,
          finished_at: new Date(start.getTime() + 2000),
          variant,
        })
        .execute();
      if (r.micros)
        await env.deps.db
          .insertInto('model_call')
          .values({
            id: newId(),
            space_id: p.spaceId,
            owner_account_id: p.accountId,
            visibility: 'shared',
            run_id: runId,
            source: 'operator',
            provider: 'openai',
            model: 'gpt-4o-mini',
            purpose: 'step',
            cost_micros: String(r.micros),
            ok: true,
            at: start,
          })
          .execute();
      for (const s of r.suggestions) {
        const id = newId();
        await env.deps.db
          .insertInto('suggestion')
          .values({
            id,
            space_id: p.spaceId,
            owner_account_id: p.accountId,
            visibility: 'shared',
            agent_id: p.agentId,
            run_id: runId,
            skill_id: 'tasks.create',
            action_type: 'tasks.create',
            title: 'Seeded',
            summary: 'Seeded',
            action: JSON.stringify({ title: 'x' }),
            action_hash: id,
            status: s === 'rejected' ? 'rejected' : 'done',
            auto: s === 'auto',
            edited: s === 'edited',
            approved_at: s === 'rejected' ? null : start,
            expires_at: new Date(start.getTime() + 86_400_000),
            idempotency_key: id,
          })
          .execute();
      }
    }
  }

  beforeAll(async () => {
    const app = await env.app();
    // The runs above are cleared: this block seeds its own, later in the month.
    await env.deps.db.deleteFrom('agent_run').execute();
    (env.clock as import('#core/clock.js').ManualClock).set('2026-03-25T12:00:00Z');
    for (let i = 0; i < 4; i++) {
      const p = await signedUpClient(app, { name: `Lab Extra ${i}` });
      const inst = await install(p.client);
      people.push({ ...p, agentId: inst.agents[0]!.id, installationId: inst.id });
    }
    spaces = people.slice(0, 10);
    const [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10] = spaces as [
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
      Person,
    ];
    await seed(s1, 'short', [{ suggestions: ['approved'] }, { micros: 1000, suggestions: ['edited'] }]);
    await seed(s2, 'short', [{ suggestions: ['approved'] }, { failed: true, suggestions: ['rejected'] }]);
    await seed(s3, 'short', [{ suggestions: ['edited', 'rejected'] }]);
    await seed(s4, 'short', [{ suggestions: ['rejected'] }]);
    await seed(s5, 'short', [{ suggestions: ['approved', 'auto', 'auto'] }]);
    for (const s of [s6, s7, s8, s9]) await seed(s, 'control', [{ suggestions: ['approved'] }]);
    await seed(s10, 'short', [
      { failed: true, suggestions: ['rejected'] },
      { failed: true, suggestions: ['rejected'] },
    ]);
    await s10.client.ok(L.setLabParticipation, { body: { optedOut: true } });
  });

  it('compares variants over spaces that did not opt out, with 95% intervals, withholding figures under 5 spaces', async () => {
    const r = await op.ok(L.adminLab, { query: { from: '2026-03', to: '2026-03' } });
    expect(r.minSpaces).toBe(5);
    expect(r.optedOutSpaces).toBe(1);
    const agent = r.agents.find((a) => a.packId === 'lab-test' && a.agentKey === 'propose')!;
    expect(agent.declared.map((d) => d.id)).toEqual(['control', 'short']);
    const short = agent.variants.find((v) => v.variant === 'short')!;
    // Five spaces, not six: the opted-out space's failed runs and rejections are nowhere.
    expect(short).toMatchObject({ name: 'Short title', spaces: 5, runs: 7 });
    expect(short.approvalRate).toEqual({ value: 0.6, low: 0.080658, high: 1, spaces: 5 });
    // Edits before approval: only four spaces approved anything (S4 approved nothing): withheld.
    expect(short.editRate).toEqual({ value: null, low: null, high: null, spaces: 4 });
    expect(short.failureRate).toEqual({ value: 0.1, low: 0, high: 0.3776, spaces: 5 });
    // Two seconds of compute at 20 micro-dollars a second, plus S1's 1,000 micro-dollar model call over its two runs.
    expect(short.costPerRunMicros).toEqual({ value: 140, low: 0, high: 417.6, spaces: 5 });
    expect(short.runSeconds).toEqual({ value: 2, low: 2, high: 2, spaces: 5 });
    const control = agent.variants.find((v) => v.variant === 'control')!;
    expect(control.spaces).toBe(4);
    for (const f of [control.approvalRate, control.editRate, control.failureRate, control.costPerRunMicros, control.runSeconds])
      expect(f.value).toBeNull();
    // Nothing in the answer identifies a space.
    const body = JSON.stringify(r);
    for (const p of spaces) expect(body).not.toContain(p.spaceId);
  });

  it('promotes the winner: every space runs it, new and existing assignments alike, logged in each space', async () => {
    const bad = await op.call(L.adminPromoteVariant, { body: { packId: 'lab-test', agentKey: 'propose', variant: 'nope' } });
    expect(bad.status).toBe(400);
    const r = await op.ok(L.adminPromoteVariant, { body: { packId: 'lab-test', agentKey: 'propose', variant: 'short' } });
    expect(r.agentsUpdated).toBeGreaterThan(0);
    const agents = await env.deps.db.selectFrom('agent').select('variant').where('agent_key', '=', 'propose').execute();
    expect(new Set(agents.map((a) => a.variant))).toEqual(new Set(['short']));
    // A space that installs now gets the winner too, even one that opted out.
    const app = await env.app();
    const late = await signedUpClient(app, { name: 'Late Person' });
    const inst = await install(late.client);
    await late.client.ok(L.setLabParticipation, { body: { optedOut: true } });
    const run = await finished(late.client, (await late.client.ok(runAgentNow, { params: { agentId: inst.agents[0]!.id }, body: {} })).id);
    expect(await variantOfRun(run.id)).toBe('short');
    const report = await op.ok(L.adminLab, { query: { from: '2026-03', to: '2026-03' } });
    expect(report.agents.find((a) => a.agentKey === 'propose')!.winner).toMatchObject({ variant: 'short' });
    // A space whose agent never ran had no variant: it changed, and its log says so.
    const changed = people[6]!;
    const log = (await changed.client.ok(listActivity, { query: { kind: 'lab.promoted' } })).items;
    expect(log[0]).toMatchObject({
      actorKind: 'operator',
      summary: 'Proposer now runs its variant "Short title", which the operators chose from the experimentation lab',
    });
  });
});
