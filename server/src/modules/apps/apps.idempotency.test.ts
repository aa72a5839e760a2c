import { NoResultError } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { type Db, inTenant } from '#core/db.js';
import { newId } from '#core/ids.js';
import { createFamily } from '#modules/admin/index.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import type { IdempotentTable } from './apps.repository.js';
import { insertEntry } from './calendar/calendar.repository.js';
import { insertInvoice } from './invoices/invoices.repository.js';
import { insertNote } from './notes/notes.repository.js';
import { insertReminder } from './reminders/reminders.repository.js';
import { insertTask } from './tasks/tasks.repository.js';

// The apps' inserts that an agent may retry (one shared helper, insertOnce): a retry with the same
// idempotency key in the same space gives back the first row, in another space it makes a row of its
// own, and it never hands out the id of another member's private row.

let env: TestEnv;
type Person = { accountId: string; spaceId: string };
let solo: Person;
let other: Person;
let family: { spaceId: string; owner: Person; adult: Person };

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  solo = await signedUpClient(app, { name: 'Ada Levi' });
  other = await signedUpClient(app, { name: 'Ben Levi' });
  const owner = await signedUpClient(app, { name: 'Noa Cohen' });
  const adult = await signedUpClient(app, { name: 'Dana Cohen' });
  const { spaceId } = await createFamily(systemCtx(env.deps), owner.email);
  await env.deps.db
    .insertInto('membership')
    .values({ id: newId(), space_id: spaceId, account_id: adult.accountId, role: 'adult' })
    .execute();
  family = { spaceId, owner: { ...owner, spaceId }, adult: { ...adult, spaceId } };
});
afterAll(() => env.close());

type Base = { id: string; space_id: string; owner_account_id: string; visibility: 'private'; idempotency_key: string | null };
const at = new Date('2026-03-10T09:00:00Z');
const INSERTS: Record<IdempotentTable, (db: Db, b: Base) => Promise<string>> = {
  note: (db, b) => insertNote(db, { ...b, title: 'Packing list' }),
  task: (db, b) => insertTask(db, { ...b, title: 'Call the plumber' }),
  reminder: (db, b) => insertReminder(db, { ...b, title: 'Bins', assignee_account_id: b.owner_account_id, due_at: at, time_zone: 'UTC' }),
  calendar_entry: (db, b) =>
    insertEntry(db, { ...b, title: 'Dentist', starts_at: at, ends_at: new Date(at.getTime() + 3_600_000), time_zone: 'UTC' }),
  client_invoice: (db, b) =>
    insertInvoice(db, { ...b, client_name: 'Globex', currency: 'EUR', lines: '[]', subtotal: 0, discount: 0, tax: 0, total: 0 }),
};

function insertAs(p: Person, table: IdempotentTable, key: string | null): Promise<string> {
  return inTenant(env.deps.db, { spaceId: p.spaceId, accountId: p.accountId }, (tx) =>
    INSERTS[table](tx, { id: newId(), space_id: p.spaceId, owner_account_id: p.accountId, visibility: 'private', idempotency_key: key }),
  );
}

async function rowsWithKey(table: IdempotentTable, key: string) {
  const rows = await env.deps.db.selectFrom(table).select(['id', 'space_id']).where('idempotency_key', '=', key).execute();
  return rows.map((r) => `${r.space_id}/${r.id}`).sort();
}

describe.each(Object.keys(INSERTS) as IdempotentTable[])('%s', (table) => {
  it('gives back the first row when the same key comes again in the same space, and makes one row', async () => {
    const key = `retry:${newId()}`;
    const first = await insertAs(solo, table, key);
    expect(await insertAs(solo, table, key)).toBe(first);
    expect(await rowsWithKey(table, key)).toEqual([`${solo.spaceId}/${first}`]);
  });

  it('makes a row of its own for the same key in another space, and a row each time without a key', async () => {
    const key = `retry:${newId()}`;
    const mine = await insertAs(solo, table, key);
    const theirs = await insertAs(other, table, key);
    expect(theirs).not.toBe(mine);
    expect(await rowsWithKey(table, key)).toEqual([`${other.spaceId}/${theirs}`, `${solo.spaceId}/${mine}`].sort());
    expect(await insertAs(solo, table, null)).not.toBe(await insertAs(solo, table, null));
  });

  it('does not hand out the id of another member’s private row that holds the same key', async () => {
    const key = `retry:${newId()}`;
    const owners = await insertAs(family.owner, table, key);
    await expect(insertAs(family.adult, table, key)).rejects.toThrow(NoResultError);
    expect(await rowsWithKey(table, key)).toEqual([`${family.spaceId}/${owners}`]);
  });
});
