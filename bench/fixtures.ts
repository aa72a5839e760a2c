// What the engine benchmarks run on: three small packs (a 3-step agent triggered by webhook or by hand,
// a 3-step agent with a model step, ten scheduled agents), spaces created through the API as a person
// would, and, for scale, copies of a space made in SQL (10,000 spaces take seconds instead of hours).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signUp } from '@csme/contracts/accounts';
import * as P from '@csme/contracts/packs';
import type { FastifyInstance } from 'fastify';
import { type RawBuilder, sql } from 'kysely';
import { systemCtx } from '../server/src/core/ctx.js';
import type { Deps } from '../server/src/deps.js';
import { setSpacePlan } from '../server/src/modules/admin/index.js';
import { syncBuiltinPacks } from '../server/src/modules/packs/index.js';
import { addExtraRuns, getEntitlements } from '../server/src/modules/plans/index.js';
import { TestClient } from '../server/test/harness.js';

/** Three cheap local-engine steps (about 0.15 ms of CPU together): what the platform adds is what is measured. */
const THREE_STEPS = [
  { id: 'parse', skill: 'shopping.parse', input: { text: 'milk, 2 eggs, bread' } },
  { id: 'price', skill: 'invoice.totals', input: { currency: 'USD', lines: [{ description: 'eggs', quantity: 2, unitPrice: 150 }] } },
  { id: 'again', skill: 'shopping.parse', input: { text: 'more {{$.steps.parse.output.items[0].name}}' } },
];

const pack = (id: string, name: string, scopes: string[], agents: unknown[]) => ({
  manifestVersion: 1,
  id,
  version: '1.0.0',
  platform: '>=1.0.0',
  name,
  description: `${name}: a pack for the benchmarks.`,
  persona: 'anyone',
  icon: '⏱️',
  scopes,
  agents,
});

const agent = (id: string, triggers: unknown[], steps: unknown[] = THREE_STEPS) => ({
  id,
  name: id,
  description: `${id} (benchmark agent)`,
  triggers,
  steps,
});

/** Ten schedules per space: daily and weekday crons at various times, every three hours, RRULEs daily and weekly. */
export const CLOCK_SCHEDULES: Array<{ cron?: string; rrule?: string }> = [
  { cron: '0 7 * * *' },
  { cron: '30 8 * * *' },
  { cron: '15 12 * * *' },
  { cron: '45 21 * * *' },
  { cron: '30 7 * * 1-5' },
  { cron: '0 17 * * 1-5' },
  { cron: '0 */3 * * *' },
  { rrule: 'FREQ=DAILY;BYHOUR=18;BYMINUTE=0' },
  { rrule: 'FREQ=DAILY;BYHOUR=6;BYMINUTE=20' },
  { rrule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR;BYHOUR=9;BYMINUTE=10' },
];

export const BENCH_PACKS = [
  pack('bench', 'Bench', [], [agent('hook', [{ type: 'webhook' }]), agent('tap', [{ type: 'manual' }])]),
  pack(
    'bench-model',
    'Bench with a model',
    ['model'],
    [
      agent(
        'think',
        [{ type: 'manual' }],
        [
          THREE_STEPS[0],
          {
            id: 'decide',
            model: {
              system: 'You pick what to buy first.',
              prompt: 'Items: {{$.steps.parse.output.items[0].name}}',
              output: { type: 'object', properties: { first: { type: 'string' } }, required: ['first'] },
              maxOutputTokens: 50,
            },
            fallback: { skill: 'shopping.parse', input: { text: 'milk' } },
          },
          THREE_STEPS[2],
        ],
      ),
    ],
  ),
  pack(
    'bench-clock',
    'Bench clock',
    [],
    CLOCK_SCHEDULES.map((s, i) => agent(`clock-${i}`, [{ type: 'schedule', timeZone: 'person', ...s }, { type: 'manual' }])),
  ),
];

/** Makes the benchmark packs available on this instance (as built-in packs are). */
export async function syncBenchPacks(deps: Deps): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'csme-bench-packs-'));
  for (const p of BENCH_PACKS) {
    mkdirSync(join(dir, p.id));
    writeFileSync(join(dir, p.id, 'pack.json'), JSON.stringify(p));
  }
  await syncBuiltinPacks(systemCtx(deps), dir);
  rmSync(dir, { recursive: true, force: true });
}

export interface BenchSpace {
  spaceId: string;
  accountId: string;
  email: string;
  /** Cookie and CSRF header for HTTP calls as this person. */
  headers: Record<string, string>;
  agents: Record<string, string>;
  /** Secret webhook URL path per agent key (`/webhooks/<token>`). */
  webhooks: Record<string, string>;
}

let seq = 0;
/**
 * A person signs up, gets a plan, installs packs (granting every scope) and creates webhook URLs for the
 * webhook agents; `extraRuns` are bought for the month so that long benchmarks do not run out of quota.
 */
export async function newSpace(
  app: FastifyInstance,
  deps: Deps,
  o: { plan: 'free' | 'pro'; packs: string[]; extraRuns?: number; timeZone?: string },
): Promise<BenchSpace> {
  const client = new TestClient(app);
  const email = `bench${process.pid}.${seq++}.${randomBytes(3).toString('hex')}@bench.test`;
  const r = await client.ok(signUp, { body: { email, password: 'a long bench password', displayName: `Bench ${seq}` } });
  if (r.status !== 'signed_in') throw new Error('sign-up needs no email confirmation in the benchmarks');
  const spaceId = r.session.activeSpace.id;
  const accountId = r.session.account.id;
  if (o.timeZone) await deps.db.updateTable('account').set({ time_zone: o.timeZone }).where('id', '=', accountId).execute();
  if (o.plan !== 'free') await setSpacePlan(systemCtx(deps), spaceId, o.plan);
  const agents: Record<string, string> = {};
  const webhooks: Record<string, string> = {};
  for (const packId of o.packs) {
    const manifest = BENCH_PACKS.find((p) => p.id === packId)!;
    const inst = await client.ok(P.installPack, { params: { packId }, body: { settings: {}, grantedScopes: manifest.scopes } });
    for (const a of inst.agents) {
      agents[a.key] = a.id;
      if (a.enabled && a.triggers.some((t) => t.type === 'webhook')) {
        const w = await client.ok(P.createWebhookUrl, { params: { agentId: a.id }, body: { hmac: false } });
        webhooks[a.key] = new URL(w.url).pathname;
      }
    }
  }
  if (o.extraRuns) await addExtraRuns(deps.db, await getEntitlements(deps.db, spaceId, deps.clock.now()), o.extraRuns);
  return {
    spaceId,
    accountId,
    email,
    headers: { cookie: client.cookie!, 'x-csrf-token': client.csrf!, 'content-type': 'application/json' },
    agents,
    webhooks,
  };
}

/** A uuid derived from `text` (md5, with the version and variant bits of a v4 uuid, which our schemas check). */
const copyId = (text: RawBuilder<unknown>) => sql`overlay(overlay(md5(${text}) placing '4' from 13 for 1) placing '8' from 17 for 1)::uuid`;

const CLONED_TABLES = ['account', 'space', 'membership', 'subscription', 'pack_installation', 'agent'] as const;

/**
 * Copies a space (its person, membership, plan, installations and agents) `n` times in SQL. Every uuid of
 * the template's rows becomes copyId(uuid || copy number) in copy g, so references between the rows stay
 * intact; emails get the copy number. Webhook URLs are not copied (give copies their own with
 * `webhookTokens`). Returns the copies' space ids in order.
 */
export async function cloneSpace(deps: Deps, template: BenchSpace, n: number, from = 1): Promise<string[]> {
  const ids = new Set<string>([template.spaceId, template.accountId]);
  for (const t of CLONED_TABLES) {
    const where =
      t === 'account'
        ? sql`id = ${template.accountId}`
        : t === 'space'
          ? sql`id = ${template.spaceId}`
          : sql`space_id = ${template.spaceId}`;
    const rows = await sql<{ id: string }>`select id from ${sql.table(t)} where ${where}`.execute(deps.db);
    for (const r of rows.rows) ids.add(r.id);
  }
  const idList = [...ids];
  await deps.db.transaction().execute(async (tx) => {
    for (const t of CLONED_TABLES) {
      const cols = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns
        where table_schema = 'public' and table_name = ${t} order by ordinal_position`.execute(tx);
      const exprs = cols.rows.map(({ column_name: c, data_type: type }) => {
        const col = sql.ref(`src.${c}`);
        if (type === 'uuid')
          return sql`case when ${col} = any(${idList}::uuid[]) then ${copyId(sql`${col}::text || ':' || g`)} else ${col} end`;
        if (c === 'email' || c === 'email_normalized') return sql`replace(${col}, '@', '+' || g || '@')`;
        if (c === 'webhook_token_hash' || c === 'webhook_secret') return sql`null`;
        return col;
      });
      const where =
        t === 'account'
          ? sql`src.id = ${template.accountId}`
          : t === 'space'
            ? sql`src.id = ${template.spaceId}`
            : sql`src.space_id = ${template.spaceId}`;
      await sql`insert into ${sql.table(t)} (${sql.join(cols.rows.map((c) => sql.ref(c.column_name)))})
        select ${sql.join(exprs)} from ${sql.table(t)} as src, generate_series(${from}::int, ${from + n - 1}::int) as g
        where ${where}`.execute(tx);
    }
  });
  const spaces = await sql<{ id: string }>`
    select ${copyId(sql`${template.spaceId}::text || ':' || g`)} as id from generate_series(${from}::int, ${from + n - 1}::int) as g order by g`.execute(
    deps.db,
  );
  return spaces.rows.map((r) => r.id);
}

/** `n` finished runs of one agent, spread over the last 90 days (the history a runs list pages through). */
export async function seedRuns(deps: Deps, space: BenchSpace, agentKey: string, n: number): Promise<void> {
  const agentId = space.agents[agentKey]!;
  await sql`
    insert into agent_run (id, space_id, owner_account_id, visibility, agent_id, installation_id, trigger_kind, trigger_key,
      trigger_data, status, error, priority, queued_at, started_at, finished_at, attempts, step_count)
    select gen_random_uuid(), a.space_id, a.owner_account_id, a.visibility, a.id, a.installation_id, 'manual', 'seed:' || g,
      '{}'::jsonb, case when g % 50 = 0 then 'failed' else 'succeeded' end,
      case when g % 50 = 0 then 'Step "price" failed: seeded' end, 10,
      now() - (g * interval '77 seconds'), now() - (g * interval '77 seconds') + interval '5 ms',
      now() - (g * interval '77 seconds') + interval '40 ms', 1, 3
    from agent a, generate_series(1, ${n}::int) g where a.id = ${agentId}`.execute(deps.db);
  await sql`analyze agent_run`.execute(deps.db);
}
