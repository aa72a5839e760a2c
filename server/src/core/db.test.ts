import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '#test/harness.js';
import { createDatabase, inTenant } from './db.js';
import { newId } from './ids.js';

let env: TestEnv;
const spaceA = newId();
const spaceB = newId();
const alice = newId();
const bob = newId();

beforeAll(async () => {
  env = await createTestEnv();
  const db = env.deps.db;
  // A tenant table shaped like every object that can be private, secured the way every migration secures them.
  await sql`create table rls_probe (id uuid primary key, space_id uuid not null, owner_account_id uuid not null, visibility text not null, body text not null)`.execute(
    db,
  );
  await sql`select csme_enable_tenant_rls('rls_probe', true)`.execute(db);
  for (const [a, name] of [
    [alice, 'Alice'],
    [bob, 'Bob'],
  ] as const) {
    await sql`insert into account (id, email, email_normalized, display_name, password_hash) values (${a}, ${`${name}@x.test`}, ${`${name.toLowerCase()}@x.test`}, ${name}, 'x')`.execute(
      db,
    );
  }
  for (const s of [spaceA, spaceB])
    await sql`insert into space (id, kind, name, owner_account_id) values (${s}, 'family', 'S', ${alice})`.execute(db);
  const rows = [
    [spaceA, alice, 'shared', 'A shared by alice'],
    [spaceA, alice, 'private', 'A private of alice'],
    [spaceA, bob, 'private', 'A private of bob'],
    [spaceB, alice, 'shared', 'B shared'],
  ];
  for (const [s, o, v, b] of rows) await sql`insert into rls_probe values (${newId()}, ${s}, ${o}, ${v}, ${b})`.execute(db);
});
afterAll(() => env.close());

const bodies = async (db: TestEnv['deps']['db']) =>
  (await sql<{ body: string }>`select body from rls_probe order by body`.execute(db)).rows.map((r) => r.body);

describe('row level security', () => {
  it('shows a member only their space, its shared rows and their own private rows', async () => {
    const seen = await inTenant(env.deps.db, { spaceId: spaceA, accountId: bob }, bodies);
    expect(seen).toEqual(['A private of bob', 'A shared by alice']);
  });

  it('shows nothing to csme_app when the space setting is missing', async () => {
    const seen = await env.deps.db.transaction().execute(async (tx) => {
      await sql`set local role csme_app`.execute(tx);
      return bodies(tx);
    });
    expect(seen).toEqual([]);
  });

  it('shows another space nothing of this one', async () => {
    const seen = await inTenant(env.deps.db, { spaceId: spaceB, accountId: alice }, bodies);
    expect(seen).toEqual(['B shared']);
  });

  it('lets a member change none of the rows they must not see', async () => {
    const changed = await inTenant(env.deps.db, { spaceId: spaceA, accountId: alice }, async (tx) => {
      const r = await sql`update rls_probe set body = 'hacked' where body in ('A private of bob', 'B shared')`.execute(tx);
      const d = await sql`delete from rls_probe where body = 'A private of bob'`.execute(tx);
      return Number(r.numAffectedRows) + Number(d.numAffectedRows);
    });
    expect(changed).toBe(0);
    expect(await bodies(env.deps.db)).toContain('A private of bob');
  });

  it('refuses to write a row into another space or as another member', async () => {
    await expect(
      inTenant(env.deps.db, { spaceId: spaceA, accountId: alice }, (tx) =>
        sql`insert into rls_probe values (${newId()}, ${spaceB}, ${alice}, 'shared', 'smuggled')`.execute(tx),
      ),
    ).rejects.toThrow(/row-level security/);
    await expect(
      inTenant(env.deps.db, { spaceId: spaceA, accountId: alice }, (tx) =>
        sql`insert into rls_probe values (${newId()}, ${spaceA}, ${bob}, 'private', 'forged')`.execute(tx),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('keeps the settings transaction-local: the next transaction on the connection sees nothing', async () => {
    await inTenant(env.deps.db, { spaceId: spaceA, accountId: alice }, bodies);
    const seen = await env.deps.db.transaction().execute(async (tx) => {
      await sql`set local role csme_app`.execute(tx);
      return bodies(tx);
    });
    expect(seen).toEqual([]);
  });

  it('secures every table that has a space_id column, with row level security forced', async () => {
    const r = await sql<{ table_name: string; rls: boolean; forced: boolean; policies: number }>`
      select c.table_name, k.relrowsecurity as rls, k.relforcerowsecurity as forced,
        (select count(*)::int from pg_policies p where p.tablename = c.table_name and p.policyname = 'tenant_isolation') as policies
      from information_schema.columns c join pg_class k on k.relname = c.table_name and k.relkind in ('r', 'p')
      where c.table_schema = 'public' and c.column_name = 'space_id'
        and c.table_name not in ('email_outbox', 'data_key', 'session', 'rls_probe')`.execute(env.deps.db);
    expect(r.rows.length).toBeGreaterThan(0);
    const insecure = r.rows.filter((t) => !t.rls || !t.forced || t.policies !== 1).map((t) => t.table_name);
    expect(insecure).toEqual([]);
  });
});

describe('a session left idle inside a transaction', () => {
  it('is ended by PostgreSQL after the configured time, so the locks of a frozen process stall no one for long', async () => {
    // Found by the fault suite: a worker frozen (SIGSTOP) in the middle of a transaction kept the space's
    // activity-log lock, and every other worker writing to that space waited until it was resumed.
    const frozen = createDatabase({ url: env.databaseUrl, max: 1, idleTransactionTimeoutMs: 1000 });
    const other = createDatabase({ url: env.databaseUrl, max: 1 });
    const held = await frozen.pool.connect();
    held.on('error', () => undefined);
    try {
      await held.query('begin');
      await held.query('select pg_advisory_xact_lock(424242)');
      // The process holding it goes silent; another one needs the same lock and gets it once the session is ended.
      const t0 = Date.now();
      await other.db.transaction().execute((tx) => sql`select pg_advisory_xact_lock(424242)`.execute(tx));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      await expect(held.query('select 1')).rejects.toThrow();
    } finally {
      held.release(true);
      await frozen.destroy();
      await other.destroy();
    }
  });
});
