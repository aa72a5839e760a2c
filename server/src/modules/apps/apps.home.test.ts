import { switchSpace } from '@csme/contracts/accounts';
import * as Cal from '@csme/contracts/calendar';
import * as K from '@csme/contracts/contacts';
import * as L from '@csme/contracts/lists';
import * as N from '@csme/contracts/notes';
import * as R from '@csme/contracts/reminders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { newId } from '#core/ids.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { createFamily } from '#modules/admin/index.js';
import { createTestEnv, signedUpClient, TestClient, type TestEnv } from '#test/harness.js';

// The home apps through their API: what a person adds, sees and changes; another space's objects are
// 404; bad input is a 400 naming the field; and in a family space, the Family roles of PRODUCT.md.

let env: TestEnv;
type Person = Awaited<ReturnType<typeof signedUpClient>>;
let family: { spaceId: string; owner: Person; adult: Person; kid: Person };

beforeAll(async () => {
  env = await createTestEnv();
  const app = await env.app();
  const owner = await signedUpClient(app, { name: 'Noa Cohen' });
  const adult = await signedUpClient(app, { name: 'Dana Cohen' });
  const kid = await signedUpClient(app, { name: 'Tom Cohen' });
  const { spaceId } = await createFamily(systemCtx(env.deps), owner.email);
  await env.deps.db
    .insertInto('membership')
    .values([
      { id: newId(), space_id: spaceId, account_id: adult.accountId, role: 'adult' },
      { id: newId(), space_id: spaceId, account_id: kid.accountId, role: 'child' },
    ])
    .execute();
  for (const p of [owner, adult, kid]) await p.client.ok(switchSpace, { body: { spaceId } });
  family = { spaceId, owner, adult, kid };
});
afterAll(() => env.close());

describe('notes', () => {
  it('writes, finds, changes and deletes a note; another space gets 404 for it; bad input names the field', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const note = await a.client.ok(N.createNote, { body: { title: 'Garden', body: '# Plants\n- basil <script>alert(1)</script>' } });
    expect(note).toMatchObject({ title: 'Garden', visibility: 'private', createdBy: 'Test Person', demo: false });
    expect((await a.client.ok(N.listNotes, { query: { q: 'basil' } })).items.map((n) => n.id)).toEqual([note.id]);
    expect((await a.client.ok(N.listNotes, { query: { q: 'cactus' } })).items).toEqual([]);
    const changed = await a.client.ok(N.updateNote, { params: { noteId: note.id }, body: { body: 'Tomatoes' } });
    expect(changed.body).toBe('Tomatoes');
    for (const call of [
      b.client.call(N.getNote, { params: { noteId: note.id } }),
      b.client.call(N.updateNote, { params: { noteId: note.id }, body: { title: 'x' } }),
      b.client.call(N.deleteNote, { params: { noteId: note.id } }),
    ])
      expect((await call).status).toBe(404);
    expect((await b.client.ok(N.listNotes)).items).toEqual([]);
    const bad = await a.client.call(N.createNote, { body: { title: '' } });
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/title/);
    expect((await a.client.call(N.listNotes, { query: { cursor: 'nonsense' } })).status).toBe(400);
    expect((await a.client.call(N.deleteNote, { params: { noteId: note.id } })).status).toBe(200);
    expect((await a.client.call(N.getNote, { params: { noteId: note.id } })).status).toBe(404);
    expect((await new TestClient(await env.app()).call(N.listNotes)).status).toBe(401);
  });
});

describe('lists', () => {
  it('adds items in plain words, merges the same item when units agree, groups by aisle, ticks, and suggests missing staples', async () => {
    const a = await signedUpClient(await env.app());
    const list = await a.client.ok(L.createList, { body: { name: 'Groceries' } });
    const first = await a.client.ok(L.addListItems, {
      params: { listId: list.id },
      body: { text: '2 litres of milk, a dozen eggs and some bananas' },
    });
    expect(first.added).toHaveLength(3);
    expect(first.items.map((i) => [i.name, i.quantity, i.unit, i.category])).toEqual([
      ['milk', 2, 'l', 'dairy'],
      ['egg', 12, null, 'dairy'],
      ['banana', null, null, 'produce'],
    ]);
    const again = await a.client.ok(L.addListItems, { params: { listId: list.id }, body: { text: '1 litre of milk and 500 g of pasta' } });
    expect(again.merged).toHaveLength(1);
    const milk = again.items.find((i) => i.name === 'milk')!;
    expect(milk.quantity).toBe(3);
    expect(again.aisles.map((x) => x.category)).toEqual(['produce', 'dairy', 'pantry']);
    // Other units make their own line: nothing is converted silently.
    const cartons = await a.client.ok(L.addListItems, {
      params: { listId: list.id },
      body: { items: [{ name: 'Milk', quantity: 1, unit: 'carton' }] },
    });
    expect(cartons.items.filter((i) => i.name === 'milk')).toHaveLength(2);
    // Ticked, it leaves the aisles; marked a staple, it is suggested while it is not on the list.
    let d = await a.client.ok(L.updateListItem, { params: { listId: list.id, itemId: milk.id }, body: { staple: true } });
    expect(d.missingStaples).toEqual([]);
    d = await a.client.ok(L.updateListItem, { params: { listId: list.id, itemId: milk.id }, body: { done: true } });
    expect(d.aisles.find((x) => x.category === 'dairy')!.items.map((i) => i.name)).toEqual(['egg', 'milk']);
    d = await a.client.ok(L.clearDoneItems, { params: { listId: list.id } });
    d = await a.client.ok(L.updateListItem, {
      params: { listId: list.id, itemId: d.items.find((i) => i.unit === 'carton')!.id },
      body: { done: true },
    });
    await a.client.ok(L.clearDoneItems, { params: { listId: list.id } });
    d = await a.client.ok(L.getList, { params: { listId: list.id } });
    expect(d.missingStaples).toEqual([{ name: 'milk', quantity: 3, unit: 'l', category: 'dairy' }]);
    expect(d.items.map((i) => i.name).sort()).toEqual(['banana', 'egg', 'pasta']);
    // Adding it back clears the suggestion.
    d = await a.client.ok(L.addListItems, { params: { listId: list.id }, body: { items: [{ name: 'milk', quantity: 3, unit: 'l' }] } });
    expect(d.missingStaples).toEqual([]);
    const events = await env.deps.db.selectFrom('agent_event').select('type').where('space_id', '=', a.spaceId).execute();
    expect(events.filter((e) => e.type === 'list.item_added').length).toBeGreaterThanOrEqual(4);
  });

  it('refuses text with no items, and another space gets 404 for the list and its items', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const list = await a.client.ok(L.createList, { body: { name: 'Hardware', kind: 'other' } });
    const empty = await a.client.call(L.addListItems, { params: { listId: list.id }, body: { text: '   ' } });
    expect(empty.status).toBe(400);
    // Lists that are not for shopping take each line or part as written.
    const todo = await a.client.ok(L.createList, { body: { name: 'Weekend', kind: 'todo' } });
    const jobs = await a.client.ok(L.addListItems, {
      params: { listId: todo.id },
      body: { text: 'Call the Plumber, fix the 2 shelves\nwater plants' },
    });
    expect(jobs.items.map((i) => [i.name, i.quantity, i.category])).toEqual([
      ['Call the Plumber', null, 'other'],
      ['fix the 2 shelves', null, 'other'],
      ['water plants', null, 'other'],
    ]);
    const d = await a.client.ok(L.addListItems, { params: { listId: list.id }, body: { items: [{ name: 'screws' }] } });
    const itemId = d.items[0]!.id;
    expect((await b.client.call(L.getList, { params: { listId: list.id } })).status).toBe(404);
    expect((await b.client.call(L.addListItems, { params: { listId: list.id }, body: { text: 'nails' } })).status).toBe(404);
    expect((await b.client.call(L.updateListItem, { params: { listId: list.id, itemId }, body: { done: true } })).status).toBe(404);
    expect((await b.client.call(L.deleteListItem, { params: { listId: list.id, itemId } })).status).toBe(404);
    expect((await b.client.ok(L.listLists)).items).toEqual([]);
    const bad = await a.client.call(L.addListItems, { params: { listId: list.id }, body: { items: [{ name: 'x', quantity: -1 }] } });
    expect(bad.status).toBe(400);
  });
});

describe('reminders', () => {
  it('reads plain words with the space’s members, describes the repeat, snoozes and moves a repeating one on when done', async () => {
    const a = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    // The test clock: Tuesday 10 March 2026, 09:00 UTC (the person's zone is UTC).
    const r = await a.client.ok(R.createReminder, { body: { text: 'take the bins out every Tuesday at 7pm' } });
    expect(r).toMatchObject({
      title: 'Take the bins out',
      dueAt: '2026-03-10T19:00:00.000Z',
      rrule: 'FREQ=WEEKLY;BYDAY=TU',
      repeats: 'Every Tuesday at 19:00',
      assignee: { accountId: a.accountId, name: 'Noa Cohen' },
    });
    const snoozed = await a.client.ok(R.updateReminder, { params: { reminderId: r.id }, body: { snoozeMinutes: 30 } });
    expect(snoozed.dueAt).toBe('2026-03-10T09:30:00.000Z');
    const done = await a.client.ok(R.updateReminder, { params: { reminderId: r.id }, body: { done: true } });
    expect(done).toMatchObject({ status: 'active', dueAt: '2026-03-10T19:00:00.000Z' });
    const once = await a.client.ok(R.createReminder, { body: { text: 'call mom in 2 hours' } });
    expect(once).toMatchObject({ title: 'Call mom', dueAt: '2026-03-10T11:00:00.000Z', rrule: null, repeats: null });
    expect((await a.client.ok(R.updateReminder, { params: { reminderId: once.id }, body: { done: true } })).status).toBe('done');
    const bad = await a.client.call(R.createReminder, { body: { text: 'pay rent on 31 February' } });
    expect(bad.status).toBe(400);
    const badRule = await a.client.call(R.createReminder, { body: { title: 'x', dueAt: '2026-03-11T10:00:00Z', rrule: 'EVERY=DAY' } });
    expect(badRule.status).toBe(400);
    const b = await signedUpClient(await env.app());
    expect((await b.client.call(R.updateReminder, { params: { reminderId: r.id }, body: { done: true } })).status).toBe(404);
    expect((await b.client.ok(R.listReminders)).items).toEqual([]);
  });
});

describe('contacts', () => {
  it('adds and changes a contact, finds it by words and due follow-ups; another space gets 404', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const c = await a.client.ok(K.createContact, {
      body: { name: 'Dana Levi', emails: ['Dana.Levi@Acme-Tools.com'], nextFollowUpAt: '2026-03-09T09:00:00Z' },
    });
    expect(c).toMatchObject({ emails: ['dana.levi@acme-tools.com'], company: 'Acme Tools', stage: 'lead', source: 'manual' });
    expect((await a.client.ok(K.listContacts, { query: { q: 'acme' } })).items).toHaveLength(1);
    expect((await a.client.ok(K.listContacts, { query: { due: 'true' } })).items.map((x) => x.id)).toEqual([c.id]);
    const changed = await a.client.ok(K.updateContact, { params: { contactId: c.id }, body: { stage: 'customer', nextFollowUpAt: null } });
    expect(changed).toMatchObject({ stage: 'customer', nextFollowUpAt: null });
    expect((await a.client.ok(K.listContacts, { query: { due: 'true' } })).items).toEqual([]);
    expect((await b.client.call(K.getContact, { params: { contactId: c.id } })).status).toBe(404);
    expect((await b.client.call(K.updateContact, { params: { contactId: c.id }, body: { stage: 'past' } })).status).toBe(404);
    expect((await a.client.call(K.createContact, { body: { name: 'X', emails: ['not-an-address'] } })).status).toBe(400);
    expect((await a.client.call(K.createContact, { body: { name: 'X', stage: 'friend' } })).status).toBe(400);
  });
});

describe('contacts from mail', () => {
  it('upserts the sender (or the people written to), skips machine mailboxes, moves last contact forward only, and makes one contact per address', async () => {
    const a = await signedUpClient(await env.app(), { name: 'Noa Cohen' });
    const skill = findSkill(env.deps.modules, 'contacts.upsert-from-mail')!;
    expect(skill).toMatchObject({ kind: 'act', actionType: 'contacts.upsert', scopes: ['contacts:write'] });
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId: a.spaceId, accountId: a.accountId });
    const run = (input: unknown) =>
      invokeSkill(skill, sctx, input) as Promise<{ contacts: Array<{ name: string; email: string; created: boolean }> }>;
    const first = await run({ from: 'Dana Levi <Dana.Levi@acme-tools.com>', to: [a.email], date: '2026-03-09T10:00:00Z' });
    expect(first.contacts).toEqual([{ id: expect.any(String), name: 'Dana Levi', email: 'dana.levi@acme-tools.com', created: true }]);
    // The person wrote: the recipients are the contacts; machine mailboxes are not people.
    const sent = await run({
      from: { name: 'Noa', address: a.email },
      to: ['yael.mizrahi@brightside.studio', { address: 'no-reply@shop.example' }],
      cc: ['dana.levi@acme-tools.com'],
      date: '2026-03-10T08:00:00Z',
    });
    expect(sent.contacts.map((c) => [c.name, c.created])).toEqual([
      ['Yael Mizrahi', true],
      ['Dana Levi', false],
    ]);
    await run({ from: 'dana.levi@acme-tools.com', date: '2026-03-01T10:00:00Z' });
    await Promise.all([
      run({ from: 'omer@example.com', date: '2026-03-09T10:00:00Z' }),
      run({ from: 'Omer <omer@example.com>', date: '2026-03-09T11:00:00Z' }),
    ]);
    const list = (await a.client.ok(K.listContacts)).items;
    expect(list.map((c) => [c.name, c.company, c.source, c.lastContactAt])).toEqual([
      ['Dana Levi', 'Acme Tools', 'mail', '2026-03-10T08:00:00.000Z'],
      ['Omer', 'Example', 'mail', '2026-03-09T11:00:00.000Z'],
      ['Yael Mizrahi', 'Brightside', 'mail', '2026-03-10T08:00:00.000Z'],
    ]);
    await expect(run({ from: 'x', date: 'yesterday' })).rejects.toThrow(/date/);
  });
});

describe('calendar', () => {
  it('merges own events with repeats expanded, marks the clashes, and refuses a window that ends before it starts', async () => {
    const a = await signedUpClient(await env.app());
    const b = await signedUpClient(await env.app());
    const standup = await a.client.ok(Cal.createEvent, {
      body: { title: 'Stand-up', startsAt: '2026-03-09T09:30:00Z', endsAt: '2026-03-09T09:45:00Z', rrule: 'FREQ=DAILY;COUNT=10' },
    });
    await a.client.ok(Cal.createEvent, { body: { title: 'Dentist', startsAt: '2026-03-11T09:00:00Z', endsAt: '2026-03-11T10:00:00Z' } });
    const week = await a.client.ok(Cal.getAgenda, { query: { from: '2026-03-09T00:00:00Z', to: '2026-03-16T00:00:00Z' } });
    expect(week.items.filter((i) => i.title === 'Stand-up')).toHaveLength(7);
    expect(week.conflicts).toHaveLength(1);
    const dentist = week.items.find((i) => i.title === 'Dentist')!;
    expect(dentist.conflictsWith).toEqual([`own:${standup.eventId}:2026-03-11T09:30:00.000Z`]);
    expect((await a.client.call(Cal.getAgenda, { query: { from: '2026-03-16T00:00:00Z', to: '2026-03-09T00:00:00Z' } })).status).toBe(400);
    expect(
      (await a.client.call(Cal.createEvent, { body: { title: 'x', startsAt: '2026-03-11T10:00:00Z', endsAt: '2026-03-11T09:00:00Z' } }))
        .status,
    ).toBe(400);
    expect((await b.client.call(Cal.getEvent, { params: { eventId: standup.eventId } })).status).toBe(404);
    expect((await b.client.ok(Cal.getAgenda, { query: { from: '2026-03-09T00:00:00Z', to: '2026-03-16T00:00:00Z' } })).items).toEqual([]);
    const moved = await a.client.ok(Cal.updateEvent, { params: { eventId: standup.eventId }, body: { rrule: null } });
    expect(moved.rrule).toBeNull();
  });
});

describe('family roles (PRODUCT.md) for notes, lists, reminders, contacts and calendar events', () => {
  it('shares by default, shows who made and changed shared objects, and hides private ones from everyone else (404)', async () => {
    const { owner, adult, kid } = family;
    const shared = await owner.client.ok(N.createNote, { body: { title: 'Holiday plan' } });
    expect(shared.visibility).toBe('shared');
    const changed = await adult.client.ok(N.updateNote, { params: { noteId: shared.id }, body: { body: 'Eilat in May' } });
    expect(changed).toMatchObject({ createdBy: 'Noa Cohen', updatedBy: 'Dana Cohen' });
    expect((await kid.client.ok(N.getNote, { params: { noteId: shared.id } })).body).toBe('Eilat in May');
    const mine = await adult.client.ok(N.createNote, { body: { title: 'Gift ideas for Noa', visibility: 'private' } });
    for (const p of [owner, kid]) {
      expect((await p.client.call(N.getNote, { params: { noteId: mine.id } })).status).toBe(404);
      expect((await p.client.ok(N.listNotes)).items.map((n) => n.id)).not.toContain(mine.id);
    }
    const privateList = await owner.client.ok(L.createList, { body: { name: 'Surprise party', visibility: 'private' } });
    expect((await adult.client.call(L.getList, { params: { listId: privateList.id } })).status).toBe(404);
    expect((await adult.client.call(L.addListItems, { params: { listId: privateList.id }, body: { text: 'balloons' } })).status).toBe(404);
    const secret = await owner.client.ok(K.createContact, { body: { name: 'Party planner', visibility: 'private' } });
    expect((await adult.client.call(K.getContact, { params: { contactId: secret.id } })).status).toBe(404);
  });

  it('lets a child keep private lists, notes and reminders, add and tick items on shared lists, and nothing else (403)', async () => {
    const { owner, kid } = family;
    const shopping = await owner.client.ok(L.createList, { body: { name: 'Family shopping' } });
    const added = await kid.client.ok(L.addListItems, { params: { listId: shopping.id }, body: { text: 'chocolate milk' } });
    const item = added.items[0]!;
    expect(item.addedBy).toBe('Tom Cohen');
    const ticked = await kid.client.ok(L.updateListItem, { params: { listId: shopping.id, itemId: item.id }, body: { done: true } });
    expect(ticked.items[0]!).toMatchObject({ done: true, updatedBy: 'Tom Cohen' });
    const refusals = await Promise.all([
      kid.client.call(L.updateListItem, { params: { listId: shopping.id, itemId: item.id }, body: { name: 'candy' } }),
      kid.client.call(L.deleteListItem, { params: { listId: shopping.id, itemId: item.id } }),
      kid.client.call(L.clearDoneItems, { params: { listId: shopping.id } }),
      kid.client.call(L.updateList, { params: { listId: shopping.id }, body: { name: 'Mine' } }),
      kid.client.call(L.deleteList, { params: { listId: shopping.id } }),
      kid.client.call(L.createList, { body: { name: 'Shared by a kid', visibility: 'shared' } }),
      kid.client.call(L.createList, { body: { name: 'Shared by default' } }),
      kid.client.call(N.createNote, { body: { title: 'Shared note', visibility: 'shared' } }),
      kid.client.call(R.createReminder, { body: { text: 'remind Noa to buy candy tomorrow' } }),
      kid.client.call(K.createContact, { body: { name: 'My friend', visibility: 'private' } }),
      kid.client.call(Cal.createEvent, {
        body: { title: 'Party', startsAt: '2026-03-12T16:00:00Z', endsAt: '2026-03-12T18:00:00Z', visibility: 'private' },
      }),
    ]);
    expect(refusals.map((r) => r.status)).toEqual(Array(refusals.length).fill(403));
    expect(refusals[0]!.error?.message).toMatch(/Only an adult/);
    const note = await kid.client.ok(N.createNote, { body: { title: 'My diary', visibility: 'private' } });
    expect((await kid.client.ok(N.updateNote, { params: { noteId: note.id }, body: { body: 'today' } })).body).toBe('today');
    expect((await owner.client.call(N.getNote, { params: { noteId: note.id } })).status).toBe(404);
    const list = await kid.client.ok(L.createList, { body: { name: 'Birthday wishes', visibility: 'private' } });
    await kid.client.ok(L.addListItems, { params: { listId: list.id }, body: { text: 'a bike' } });
    const rem = await kid.client.ok(R.createReminder, { body: { text: 'feed the cat at 6pm', visibility: 'private' } });
    expect(rem.assignee.name).toBe('Tom Cohen');
    const sharedNote = await owner.client.ok(N.createNote, { body: { title: 'Rules' } });
    expect((await kid.client.call(N.updateNote, { params: { noteId: sharedNote.id }, body: { body: 'none' } })).status).toBe(403);
  });

  it('sends a reminder in plain words to the member it names, shared so that they see it; the member may snooze it', async () => {
    const { owner, adult, kid } = family;
    const r = await owner.client.ok(R.createReminder, { body: { text: 'remind Tom to take the bins out every Tuesday at 7pm' } });
    expect(r).toMatchObject({ assignee: { accountId: kid.accountId, name: 'Tom Cohen' }, visibility: 'shared', createdBy: 'Noa Cohen' });
    const forDana = await owner.client.ok(R.createReminder, { body: { text: 'remind dana cohen to call the plumber tomorrow' } });
    expect(forDana.assignee.accountId).toBe(adult.accountId);
    expect(
      (await owner.client.call(R.createReminder, { body: { text: 'remind Dana to call grandma', visibility: 'private' } })).status,
    ).toBe(400);
    const snoozed = await kid.client.ok(R.updateReminder, { params: { reminderId: r.id }, body: { snoozeMinutes: 10 } });
    expect(snoozed.updatedBy).toBe('Tom Cohen');
    expect((await kid.client.call(R.updateReminder, { params: { reminderId: r.id }, body: { title: 'no bins' } })).status).toBe(403);
    expect((await kid.client.call(R.deleteReminder, { params: { reminderId: r.id } })).status).toBe(403);
  });
});
