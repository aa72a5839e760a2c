import { type Kysely, sql } from 'kysely';

// Frozen once merged. The plan catalog at launch (PRODUCT.md "Plans"); operators change it by
// making new versions, never by editing these rows.

const plans = [
  { id: 'free', kind: 'base', name: 'Free', sort: 0 },
  { id: 'pro', kind: 'base', name: 'Personal Pro', sort: 1 },
  { id: 'family', kind: 'base', name: 'Family', sort: 2 },
  { id: 'creator', kind: 'addon', name: 'Creator add-on', sort: 3 },
];

const limits = {
  free: {
    packs: 1,
    agents: 3,
    runsPerMonth: 300,
    connectors: 'basic',
    historyDays: 30,
    queuePriority: 'normal',
    members: 1,
    publish: false,
  },
  pro: { packs: 5, agents: 15, runsPerMonth: 5000, connectors: 'all', historyDays: 365, queuePriority: 'high', members: 1, publish: false },
  family: {
    packs: 10,
    agents: 30,
    runsPerMonth: 10000,
    connectors: 'all',
    historyDays: 365,
    queuePriority: 'high',
    members: 4,
    publish: false,
  },
  creator: { publish: true },
};

// Minor units (cents, agorot). Annual = 10 months.
const prices = {
  free: [],
  pro: [
    { currency: 'USD', interval: 'month', amount: 1200 },
    { currency: 'USD', interval: 'year', amount: 12000 },
    { currency: 'ILS', interval: 'month', amount: 4500 },
    { currency: 'ILS', interval: 'year', amount: 45000 },
  ],
  family: [
    { currency: 'USD', interval: 'month', amount: 2400 },
    { currency: 'USD', interval: 'year', amount: 24000 },
    { currency: 'ILS', interval: 'month', amount: 8900 },
    { currency: 'ILS', interval: 'year', amount: 89000 },
  ],
  creator: [
    { currency: 'USD', interval: 'month', amount: 1000 },
    { currency: 'USD', interval: 'year', amount: 10000 },
    { currency: 'ILS', interval: 'month', amount: 3700 },
    { currency: 'ILS', interval: 'year', amount: 37000 },
  ],
};

const versionIds: Record<string, string> = {
  free: '019ac000-0000-7000-8000-000000000001',
  pro: '019ac000-0000-7000-8000-000000000002',
  family: '019ac000-0000-7000-8000-000000000003',
  creator: '019ac000-0000-7000-8000-000000000004',
};

export async function up(db: Kysely<any>): Promise<void> {
  for (const p of plans) {
    await sql`insert into plan (id, kind, name, sort) values (${p.id}, ${p.kind}, ${p.name}, ${p.sort})`.execute(db);
    await sql`insert into plan_version (id, plan_id, version, limits, prices, note)
      values (${versionIds[p.id]}, ${p.id}, 1, ${JSON.stringify(limits[p.id as keyof typeof limits])}::jsonb,
              ${JSON.stringify(prices[p.id as keyof typeof prices])}::jsonb, 'launch catalog')`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from plan_version where version = 1`.execute(db);
  await sql`delete from plan`.execute(db);
}
