import { signIn } from '@csme/contracts/accounts';
import * as A from '@csme/contracts/admin';
import * as C from '@csme/contracts/costs';
import * as P from '@csme/contracts/packs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import { setSpacePlan } from '#modules/admin/index.js';
import { createTestEnv, signedUpClient, type TestClient, type TestEnv } from '#test/harness.js';

/**
 * A seeded instance with known answers. Compute costs 1,000 micro-dollars per run-second (so a run's
 * compute cost in micro-dollars equals its milliseconds); model costs are the metered calls.
 *
 * | month | space (plan) | agent        | run time | model calls (model, micro-dollars)       | status    |
 * |-------|--------------|--------------|----------|------------------------------------------|-----------|
 * | Jan   | P1 (pro)     | daily-digest | 10 s     | gpt-4o-mini 1,000,000                    | succeeded |
 * | Jan   | P1 (pro)     | daily-digest | 5 s      | none                                     | succeeded |
 * | Jan   | F1 (free)    | welcome-task | 2 s      | none                                     | succeeded |
 * | Feb   | P1 (pro)     | daily-digest | 20 s     | gpt-4.1-mini 1,000,000 + 2,000,000       | succeeded |
 * | Feb   | P2 (pro)     | welcome-task | 1 s      | gpt-4o-mini 500,000                      | succeeded |
 * | Feb   | F2 (free)    | daily-digest | 3 s      | gpt-4o-mini 250,000                      | failed    |
 * | Mar   | P3 (pro)     | welcome-task | 4 s      | none                                     | succeeded |
 * Not counted: a December run, a run still running, a refused run. A model call outside any run
 * (gpt-4o-mini 100,000 in February) counts by model only.
 *
 * Paid invoices (net of tax): P1 $12.00 in January (a renewal of its Pro), P2 ₪45.00 + 18% tax in
 * February (₪1 = $0.27: 12,150,000 micro-dollars), F1 $5.00 of extra runs in February (Free), P3
 * $12.00 in March (no action: its space's plan). A voided and an open invoice do not count.
 */

let env: TestEnv;
let op: TestClient;
const clock = new ManualClock('2025-12-01T00:00:00Z');
const sp: Record<string, { spaceId: string; accountId: string; agents: Record<string, string>; installationId: string }> = {};
let invoiceNo = 0;

async function seedRun(
  who: string,
  agentKey: string,
  startedAt: string,
  seconds: number | null,
  calls: Array<{ model: string; micros: number; tin: number; tout: number }>,
  status = 'succeeded',
) {
  const s = sp[who]!;
  const id = newId();
  const started = startedAt ? new Date(startedAt) : null;
  await env.deps.db
    .insertInto('agent_run')
    .values({
      id,
      space_id: s.spaceId,
      owner_account_id: s.accountId,
      visibility: 'shared',
      agent_id: s.agents[agentKey]!,
      installation_id: s.installationId,
      trigger_kind: 'manual',
      trigger_key: `seed:${id}`,
      status,
      queued_at: started ?? new Date('2026-03-01T00:00:00Z'),
      started_at: started,
      finished_at: started && seconds !== null ? new Date(started.getTime() + seconds * 1000) : null,
      cost_micros: String(calls.reduce((n, c) => n + c.micros, 0)),
    })
    .execute();
  for (const c of calls) await seedCall(who, c, started!, id);
}

async function seedCall(who: string, c: { model: string; micros: number; tin: number; tout: number }, at: Date, runId: string | null) {
  const s = sp[who]!;
  await env.deps.db
    .insertInto('model_call')
    .values({
      id: newId(),
      space_id: s.spaceId,
      owner_account_id: s.accountId,
      visibility: 'shared',
      run_id: runId,
      agent_id: runId ? s.agents['daily-digest']! : null,
      pack_id: 'starter',
      source: 'operator',
      provider: 'openai',
      model: c.model,
      purpose: 'step',
      tokens_in: c.tin,
      tokens_out: c.tout,
      latency_ms: 100,
      cost_micros: String(c.micros),
      ok: true,
      at,
    })
    .execute();
}

async function seedInvoice(
  who: string,
  a: { currency: 'USD' | 'ILS'; subtotal: number; taxBp?: number; paidAt: string | null; status?: string; action?: unknown; kind?: string },
) {
  const tax = Math.round((a.subtotal * (a.taxBp ?? 0)) / 10_000);
  await env.deps.db
    .insertInto('invoice')
    .values({
      id: newId(),
      space_id: sp[who]!.spaceId,
      number: `CSME-SEED-${String(++invoiceNo).padStart(4, '0')}`,
      status: a.status ?? 'paid',
      kind: a.kind ?? 'renewal',
      currency: a.currency,
      subtotal: a.subtotal,
      tax_basis_points: a.taxBp ?? 0,
      tax,
      total: a.subtotal + tax,
      lines: JSON.stringify([{ description: 'seed', amount: a.subtotal }]),
      buyer_name: who,
      buyer_email: `${who}@example.test`,
      provider: 'offline',
      issued_at: new Date(a.paidAt ?? '2026-02-01T00:00:00Z'),
      paid_at: a.paidAt ? new Date(a.paidAt) : null,
      voided_at: a.status === 'void' ? new Date('2026-02-10T00:00:00Z') : null,
      action: a.action === undefined ? null : JSON.stringify(a.action),
    })
    .execute();
}

beforeAll(async () => {
  env = await createTestEnv({ clock });
  const app = await env.app();
  const operator = await signedUpClient(app, { name: 'Olga Operator' });
  op = operator.client;
  for (const who of ['P1', 'P2', 'P3', 'F1', 'F2']) {
    const s = await signedUpClient(app, { name: who });
    const inst = await s.client.ok(P.installPack, {
      params: { packId: 'starter' },
      body: { settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
    });
    sp[who] = {
      spaceId: s.spaceId,
      accountId: s.accountId,
      installationId: inst.id,
      agents: Object.fromEntries(inst.agents.map((a) => [a.key, a.id])),
    };
  }
  clock.advance(60_000);
  for (const who of ['P1', 'P2', 'P3']) await setSpacePlan(systemCtx(env.deps), sp[who]!.spaceId, 'pro');
  await op.ok(A.updateSetting, { params: { key: 'modelPrices' }, body: { value: { computeMicrosPerRunSecond: 1000 } } });

  const mini = (micros: number, tin: number, tout: number) => ({ model: 'gpt-4o-mini', micros, tin, tout });
  await seedRun('P1', 'daily-digest', '2025-12-20T10:00:00Z', 10, []); // before the window
  await seedRun('P1', 'daily-digest', '2026-01-05T10:00:00Z', 10, [mini(1_000_000, 1000, 500)]);
  await seedRun('P1', 'daily-digest', '2026-01-06T10:00:00Z', 5, []);
  await seedRun('F1', 'welcome-task', '2026-01-31T23:59:58Z', 2, []); // starts in January, ends in February: January
  await seedRun('P1', 'daily-digest', '2026-02-02T10:00:00Z', 20, [
    { model: 'gpt-4.1-mini', micros: 1_000_000, tin: 800, tout: 200 },
    { model: 'gpt-4.1-mini', micros: 2_000_000, tin: 1200, tout: 300 },
  ]);
  await seedRun('P2', 'welcome-task', '2026-02-03T10:00:00Z', 1, [mini(500_000, 400, 100)]);
  await seedRun('F2', 'daily-digest', '2026-02-04T10:00:00Z', 3, [mini(250_000, 200, 50)], 'failed');
  await seedRun('P3', 'welcome-task', '2026-03-02T10:00:00Z', 4, []);
  await seedRun('P3', 'welcome-task', '2026-03-03T10:00:00Z', null, [], 'running'); // not finished
  await seedRun('P2', 'welcome-task', '', null, [], 'refused'); // never started
  await seedCall('F2', mini(100_000, 100, 10), new Date('2026-02-10T00:00:00Z'), null); // a call outside runs

  const p1Sub = await env.deps.db
    .selectFrom('subscription')
    .select('id')
    .where('space_id', '=', sp.P1!.spaceId)
    .where('ended_at', 'is', null)
    .executeTakeFirstOrThrow();
  await seedInvoice('P1', {
    currency: 'USD',
    subtotal: 1200,
    paidAt: '2026-01-05T00:00:00Z',
    action: { type: 'renewal', subscriptionId: p1Sub.id },
  });
  await seedInvoice('P2', {
    currency: 'ILS',
    subtotal: 4500,
    taxBp: 1800,
    paidAt: '2026-02-03T00:00:00Z',
    kind: 'subscription',
    action: { type: 'start_base', planId: 'pro' },
  });
  await seedInvoice('F1', {
    currency: 'USD',
    subtotal: 500,
    paidAt: '2026-02-15T00:00:00Z',
    kind: 'extra_runs',
    action: { type: 'extra_runs', runs: 1000 },
  });
  await seedInvoice('P3', { currency: 'USD', subtotal: 1200, paidAt: '2026-03-02T00:00:00Z' });
  await seedInvoice('P1', { currency: 'USD', subtotal: 99_900, paidAt: null, status: 'void' });
  await seedInvoice('P2', { currency: 'USD', subtotal: 99_900, paidAt: null, status: 'open' });
  clock.set('2026-03-20T12:00:00Z');
  // Months later: the operator signs in again.
  await op.ok(signIn, { body: { email: operator.email, password: 'correct horse battery' } });
});
afterAll(async () => {
  await env.close();
});

const range = { from: '2026-01', to: '2026-03' };

describe('cost per run', () => {
  it('by plan: model calls plus compute per run-second, runs that finished in the months asked', async () => {
    const r = await op.ok(C.adminCosts, { query: { ...range, by: 'plan' } });
    expect(r.computeMicrosPerRunSecond).toBe(1000);
    expect(r.rows).toEqual([
      {
        key: 'pro',
        label: 'Personal Pro',
        runs: 5,
        runMs: 40_000,
        tokensIn: 3400,
        tokensOut: 1100,
        modelMicros: 4_500_000,
        computeMicros: 40_000,
        costMicros: 4_540_000,
        costPerRunMicros: 908_000,
      },
      {
        key: 'free',
        label: 'Free',
        runs: 2,
        runMs: 5000,
        tokensIn: 200,
        tokensOut: 50,
        modelMicros: 250_000,
        computeMicros: 5000,
        costMicros: 255_000,
        costPerRunMicros: 127_500,
      },
    ]);
    expect(r.total).toMatchObject({
      runs: 7,
      runMs: 45_000,
      modelMicros: 4_750_000,
      computeMicros: 45_000,
      costMicros: 4_795_000,
      costPerRunMicros: 685_000,
    });
  });

  it('by agent, pack, space and model', async () => {
    const agents = await op.ok(C.adminCosts, { query: { ...range, by: 'agent' } });
    expect(agents.rows.map((x) => [x.key, x.label, x.runs, x.costMicros, x.costPerRunMicros])).toEqual([
      ['starter/daily-digest', 'Getting started: Morning digest', 4, 4_288_000, 1_072_000],
      ['starter/welcome-task', 'Getting started: Suggest a first task', 3, 507_000, 169_000],
    ]);
    const packs = await op.ok(C.adminCosts, { query: { ...range, by: 'pack' } });
    expect(packs.rows.map((x) => [x.key, x.label, x.runs, x.costMicros])).toEqual([['starter', 'Getting started', 7, 4_795_000]]);
    const spaces = await op.ok(C.adminCosts, { query: { ...range, by: 'space' } });
    expect(spaces.rows.map((x) => [x.key, x.costMicros])).toEqual([
      [sp.P1!.spaceId, 4_035_000],
      [sp.P2!.spaceId, 501_000],
      [sp.F2!.spaceId, 253_000],
      [sp.P3!.spaceId, 4000],
      [sp.F1!.spaceId, 2000],
    ]);
    expect(spaces.rows[0]!.label).toMatch(/^P1 \(personal, p\./);
    const models = await op.ok(C.adminCosts, { query: { ...range, by: 'model' } });
    expect(models.rows.map((x) => [x.key, x.runs, x.tokensIn, x.tokensOut, x.modelMicros, x.computeMicros])).toEqual([
      ['gpt-4.1-mini', 1, 2000, 500, 3_000_000, 0],
      ['gpt-4o-mini', 3, 1700, 660, 1_850_000, 0],
    ]);
    const january = await op.ok(C.adminCosts, { query: { from: '2026-01', to: '2026-01', by: 'plan', limit: 1 } });
    expect(january.rows).toHaveLength(1);
    expect(january.total.costMicros).toBe(1_017_000);
  });

  it('refuses a range that ends before it starts', async () => {
    const r = await op.call(C.adminCosts, { query: { from: '2026-03', to: '2026-01' } });
    expect(r.status).toBe(400);
    expect((await op.call(C.adminCosts, { query: { from: '2026-13' } })).status).toBe(400);
  });
});

describe('revenue and gross margin', () => {
  it('by plan and by month, from paid invoices net of tax, in micro-dollars', async () => {
    const r = await op.ok(C.adminMargins, { query: range });
    expect(r.months).toEqual(['2026-01', '2026-02', '2026-03']);
    expect(r.microsPerAgora).toBe(2700);
    const cell = (month: string | null, planId: string) => {
      const x = (month ? r.rows : r.byPlan).find((y) => y.month === month && y.planId === planId)!;
      return [x.runs, x.revenueMicros, x.costMicros, x.marginMicros, x.marginBasisPoints];
    };
    expect(cell('2026-01', 'pro')).toEqual([2, 12_000_000, 1_015_000, 10_985_000, 9154]);
    expect(cell('2026-01', 'free')).toEqual([1, 0, 2000, -2000, null]);
    expect(cell('2026-02', 'pro')).toEqual([2, 12_150_000, 3_521_000, 8_629_000, 7102]);
    expect(cell('2026-02', 'free')).toEqual([1, 5_000_000, 253_000, 4_747_000, 9494]);
    expect(cell('2026-03', 'pro')).toEqual([1, 12_000_000, 4000, 11_996_000, 9997]);
    expect(cell('2026-03', 'family')).toEqual([0, 0, 0, 0, null]);
    expect(cell(null, 'pro')).toEqual([5, 36_150_000, 4_540_000, 31_610_000, 8744]);
    expect(cell(null, 'free')).toEqual([2, 5_000_000, 255_000, 4_745_000, 9490]);
    expect(r.byMonth.map((m) => [m.month, m.revenueMicros, m.costMicros, m.marginBasisPoints])).toEqual([
      ['2026-01', 12_000_000, 1_017_000, 9153],
      ['2026-02', 17_150_000, 3_774_000, 7799],
      ['2026-03', 12_000_000, 4000, 9997],
    ]);
    expect(r.total).toMatchObject({
      runs: 7,
      revenueMicros: 41_150_000,
      costMicros: 4_795_000,
      marginMicros: 36_355_000,
      marginBasisPoints: 8835,
    });
  });

  it('converts ILS at the rate the operator sets, without a restart', async () => {
    await op.ok(A.updateSetting, { params: { key: 'costs' }, body: { value: { microsPerAgora: 3000 } } });
    env.deps.settings.invalidate();
    const r = await op.ok(C.adminMargins, { query: { from: '2026-02', to: '2026-02' } });
    expect(r.byPlan.find((x) => x.planId === 'pro')!.revenueMicros).toBe(13_500_000);
    await op.ok(A.updateSetting, { params: { key: 'costs' }, body: { value: { microsPerAgora: 2700 } } });
    env.deps.settings.invalidate();
  });

  it('exports both reports as CSV', async () => {
    const app = await env.app();
    const res = await app.inject({
      url: '/api/v1/admin/costs/export.csv?by=agent&from=2026-01&to=2026-03',
      headers: { cookie: op.cookie! },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="costs-by-agent-2026-01-2026-03.csv"');
    expect(res.body.split('\r\n')).toEqual([
      'key,label,runs,run_ms,tokens_in,tokens_out,model_micros,compute_micros,cost_micros,cost_per_run_micros',
      'starter/daily-digest,Getting started: Morning digest,4,38000,3200,1050,4250000,38000,4288000,1072000',
      'starter/welcome-task,Getting started: Suggest a first task,3,7000,400,100,500000,7000,507000,169000',
      'total,Total,7,45000,3600,1150,4750000,45000,4795000,685000',
      '',
    ]);
    const m = await app.inject({
      url: '/api/v1/admin/costs/export.csv?report=margins&from=2026-01&to=2026-01',
      headers: { cookie: op.cookie! },
    });
    expect(m.body).toContain('2026-01,pro,Personal Pro,2,1015000,12000000,10985000,9154');
    expect(m.body).toContain('all,pro,Personal Pro,2,1015000,12000000,10985000,9154');
  });
});

describe('the quota advisor on the seeded instance', () => {
  it('shows the figures it used: price, target, allowed cost, spaces, p50/p90 cost per run, the proposal', async () => {
    const r = await op.ok(C.adminQuotaAdvisor, { query: { planId: 'pro', targetMarginBasisPoints: 7000, months: 3 } });
    expect(r).toEqual({
      planId: 'pro',
      planName: 'Personal Pro',
      window: { from: '2026-01-01T00:00:00.000Z', to: '2026-03-20T12:00:00.000Z' },
      priceMicros: 12_000_000,
      targetMarginBasisPoints: 7000,
      allowedCostMicros: 3_600_000,
      currentLimit: 5000,
      spaces: 3,
      runs: 5,
      // Per space: P3 4,000 / 1 run, P2 501,000 / 1, P1 4,035,000 / 3 = 1,345,000 per run.
      costPerRun: { meanMicros: 908_000, p50Micros: 501_000, p90Micros: 1_345_000 },
      p90Space: { runs: 3, costMicros: 4_035_000 },
      // floor(3,600,000 x 3 / 4,035,000) = 2
      proposedRunsPerMonth: 2,
      currentLimitMarginBasisPoints: -5_594_167,
      notes: ['few_spaces'],
    });
    const free = await op.ok(C.adminQuotaAdvisor, { query: { planId: 'free', budgetMicros: 1_000_000, months: 3 } });
    // Free: F1 2,000 / 1 run, F2 253,000 / 1 run; the p90 space is F2: floor(1,000,000 / 253,000) = 3.
    expect(free).toMatchObject({ priceMicros: null, allowedCostMicros: 1_000_000, spaces: 2, proposedRunsPerMonth: 3, currentLimit: 300 });
    expect((await op.call(C.adminQuotaAdvisor, { query: { planId: 'creator' } })).status).toBe(404);
  });
});
