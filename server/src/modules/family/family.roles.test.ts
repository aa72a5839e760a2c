import * as Cal from '@csme/contracts/calendar';
import * as Cards from '@csme/contracts/cards';
import * as Con from '@csme/contracts/connectors';
import * as Ct from '@csme/contracts/contacts';
import * as Doc from '@csme/contracts/documents';
import * as Exp from '@csme/contracts/expenses';
import * as Inv from '@csme/contracts/invoices';
import * as L from '@csme/contracts/lists';
import * as N from '@csme/contracts/notes';
import * as P from '@csme/contracts/packs';
import * as R from '@csme/contracts/reminders';
import * as Sg from '@csme/contracts/suggestions';
import * as T from '@csme/contracts/tasks';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#core/ids.js';
import { actionHash } from '#modules/suggestions/index.js';
import { familyOf } from '#test/apps.js';
import { type CallResult, createTestEnv, type TestClient, type TestEnv } from '#test/harness.js';

/**
 * The "Family roles" table of PRODUCT.md, as data, and every cell of it checked through the API:
 * every role x every object kind x shared and private x every action. The expectations below are
 * derived from the table's rows (never listed case by case); a person asking for another member's
 * private object gets 404, a refused action 403 with a reason.
 */

type Role = 'owner' | 'adult' | 'child';
type Vis = 'shared' | 'private';
type Outcome = 'ok' | 'forbidden' | 'absent';
type Kind =
  | 'pack'
  | 'connector'
  | 'list'
  | 'note'
  | 'reminder'
  | 'event'
  | 'document'
  | 'suggestion'
  | 'contact'
  | 'invoice'
  | 'expense'
  | 'card'
  | 'task';

const ROLES: readonly Role[] = ['owner', 'adult', 'child'];
const VISIBILITIES: readonly Vis[] = ['shared', 'private'];

// ---------------------------------------------------------------- PRODUCT.md "Family roles", as data

const ALL: readonly Kind[] = [
  'pack',
  'connector',
  'list',
  'note',
  'reminder',
  'event',
  'document',
  'suggestion',
  'contact',
  'invoice',
  'expense',
  'card',
  'task',
];
const TABLE = {
  /** see and use shared objects: child "yes, except shared connectors, invoices and expenses". */
  seeShared: { owner: ALL, adult: ALL, child: ALL.filter((k) => !['connector', 'invoice', 'expense'].includes(k)) },
  /** see another member's private objects: no (404) for everyone, the owner included. */
  seeOthersPrivate: { owner: [], adult: [], child: [] },
  /** create private objects of their own: child "lists, notes, reminders, study cards only". */
  // Tasks are not named in the table; as "the apps' other records" they follow notes (a child keeps private ones).
  createPrivate: { owner: ALL, adult: ALL, child: ['list', 'note', 'reminder', 'card', 'task'] },
  /** create or edit shared objects: child "add and tick items on shared lists; nothing else" (packs and connectors: no (403)). */
  changeShared: { owner: ALL, adult: ALL, child: [] },
  /** add and tick items on shared lists. */
  tickSharedList: { owner: ['list'], adult: ['list'], child: ['list'] },
  /** approve a suggestion that only changes the family's own data: child "only on their own private objects". */
  approveInternalShared: { owner: ['suggestion'], adult: ['suggestion'], child: [] },
  approveInternalOwnPrivate: { owner: ['suggestion'], adult: ['suggestion'], child: ['suggestion'] },
  /** approve a suggestion that sends, books or pays outside: child "no: it goes to the adults (403 if tried)". */
  approveExternal: { owner: ['suggestion'], adult: ['suggestion'], child: [] },
} satisfies Record<string, Record<Role, readonly Kind[]>>;

const may = (row: keyof typeof TABLE, role: Role, kind: Kind) => (TABLE[row][role] as readonly Kind[]).includes(kind);

type Action = 'see' | 'change' | 'delete' | 'create' | 'tick' | 'approve' | 'approve-external';
interface Case {
  role: Role;
  kind: Kind;
  vis: Vis;
  action: Action;
  /** Whose object: another member's, or the actor's own (create, and changing what one made). */
  whose: 'other' | 'own';
  expected: Outcome;
}

/** What the table says for one cell. */
function expectation(role: Role, kind: Kind, vis: Vis, action: Action, whose: 'other' | 'own'): Outcome {
  if (whose === 'other' && vis === 'private') return 'absent';
  const hidden = whose === 'other' && !may('seeShared', role, kind);
  switch (action) {
    case 'see':
      return hidden ? 'absent' : 'ok';
    case 'create':
      return may(vis === 'private' ? 'createPrivate' : 'changeShared', role, kind) ? 'ok' : 'forbidden';
    case 'change':
    case 'delete':
      if (hidden) return 'absent';
      if (whose === 'own') return may('createPrivate', role, kind) ? 'ok' : 'forbidden';
      return may('changeShared', role, kind) ? 'ok' : 'forbidden';
    case 'tick':
      return may('tickSharedList', role, kind) ? 'ok' : 'forbidden';
    case 'approve':
      return may(whose === 'own' ? 'approveInternalOwnPrivate' : 'approveInternalShared', role, kind) ? 'ok' : 'forbidden';
    case 'approve-external':
      return may('approveExternal', role, kind) ? 'ok' : 'forbidden';
  }
}

/** Which actions apply to which kinds (suggestions are made by agents, not people; only lists have items). */
function actionsOf(kind: Kind): Action[] {
  if (kind === 'suggestion') return ['see', 'approve', 'approve-external'];
  if (kind === 'list') return ['see', 'change', 'delete', 'create', 'tick'];
  return ['see', 'change', 'delete', 'create'];
}

function generateCases(): Case[] {
  const cases: Case[] = [];
  for (const role of ROLES)
    for (const kind of ALL)
      for (const vis of VISIBILITIES)
        for (const action of actionsOf(kind)) {
          if (action === 'create') {
            cases.push({ role, kind, vis, action, whose: 'own', expected: expectation(role, kind, vis, action, 'own') });
            continue;
          }
          if (action === 'approve' && vis === 'private') {
            // A suggestion private to the actor (their own), and one private to another member.
            cases.push({ role, kind, vis, action, whose: 'own', expected: expectation(role, kind, vis, action, 'own') });
          }
          if (action === 'tick' && vis === 'private') {
            cases.push({ role, kind, vis, action, whose: 'other', expected: 'absent' });
            continue;
          }
          cases.push({ role, kind, vis, action, whose: 'other', expected: expectation(role, kind, vis, action, 'other') });
          if ((action === 'change' || action === 'delete') && vis === 'private' && may('createPrivate', role, kind))
            cases.push({ role, kind, vis, action, whose: 'own', expected: 'ok' });
        }
  return cases;
}

// ---------------------------------------------------------------- the objects, through the API

let env: TestEnv;
let fam: Awaited<ReturnType<typeof familyOf>>;
const clients = {} as Record<Role, { client: TestClient; accountId: string }>;

const outcome = (r: CallResult<unknown>): Outcome =>
  r.status < 300 ? 'ok' : r.status === 403 ? 'forbidden' : r.status === 404 ? 'absent' : (`status ${r.status} ${r.error?.code}` as Outcome);

const inList = (items: Array<{ id: string }>, id: string): Outcome => (items.some((x) => x.id === id) ? 'ok' : 'absent');

const PACKS = ['starter'];

interface Adapter {
  create(c: TestClient, vis: Vis): Promise<CallResult<unknown>>;
  idOf(body: unknown): string;
  see(c: TestClient, id: string): Promise<Outcome>;
  change(c: TestClient, id: string): Promise<CallResult<unknown>>;
  remove(c: TestClient, id: string): Promise<CallResult<unknown>>;
}

const soon = () => new Date(Date.now() + 3 * 86_400_000).toISOString();

const ADAPTERS: Record<Exclude<Kind, 'suggestion'>, Adapter> = {
  pack: {
    create: async (c, visibility) => {
      // One live installation of a pack per visibility (and member, when private): the previous one goes first.
      await env.deps.db
        .updateTable('pack_installation')
        .set({ status: 'uninstalled' })
        .where('space_id', '=', fam.spaceId)
        .where('visibility', '=', visibility)
        .where('status', '<>', 'uninstalled')
        .execute();
      return c.call(P.installPack, {
        params: { packId: PACKS[0]! },
        body: { visibility, settings: {}, grantedScopes: ['tasks:read', 'tasks:write', 'notify'] },
      });
    },
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(P.getInstallation, { params: { installationId: id } })),
    change: (c, id) => c.call(P.pauseInstallation, { params: { installationId: id } }),
    remove: (c, id) => c.call(P.uninstallPack, { params: { installationId: id } }),
  },
  connector: {
    create: (c, visibility) =>
      c.call(Con.createConnector, { body: { kind: 'http', name: 'Weather', visibility, allow: ['https://api.example.com/v1/'] } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(Con.getConnector, { params: { connectorId: id } })),
    change: (c, id) =>
      c.call(Con.updateConnector, {
        params: { connectorId: id },
        body: { kind: 'http', name: 'Weather 2', allow: ['https://api.example.com/v1/'] },
      }),
    remove: (c, id) => c.call(Con.deleteConnector, { params: { connectorId: id } }),
  },
  list: {
    create: (c, visibility) => c.call(L.createList, { body: { name: 'Groceries', kind: 'shopping', visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(L.getList, { params: { listId: id } })),
    change: (c, id) => c.call(L.updateList, { params: { listId: id }, body: { name: 'Renamed' } }),
    remove: (c, id) => c.call(L.deleteList, { params: { listId: id } }),
  },
  note: {
    create: (c, visibility) => c.call(N.createNote, { body: { title: 'A note', visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(N.getNote, { params: { noteId: id } })),
    change: (c, id) => c.call(N.updateNote, { params: { noteId: id }, body: { title: 'Changed' } }),
    remove: (c, id) => c.call(N.deleteNote, { params: { noteId: id } }),
  },
  reminder: {
    create: (c, visibility) => c.call(R.createReminder, { body: { title: 'Bins', dueAt: soon(), visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => inList((await c.ok(R.listReminders, { query: {} })).items, id),
    change: (c, id) => c.call(R.updateReminder, { params: { reminderId: id }, body: { title: 'Bins!' } }),
    remove: (c, id) => c.call(R.deleteReminder, { params: { reminderId: id } }),
  },
  event: {
    create: (c, visibility) =>
      c.call(Cal.createEvent, {
        body: { title: 'Swim', startsAt: soon(), endsAt: new Date(Date.now() + 3 * 86_400_000 + 3_600_000).toISOString(), visibility },
      }),
    idOf: (b) => (b as { eventId: string }).eventId,
    see: async (c, id) => outcome(await c.call(Cal.getEvent, { params: { eventId: id } })),
    change: (c, id) => c.call(Cal.updateEvent, { params: { eventId: id }, body: { title: 'Swim!' } }),
    remove: (c, id) => c.call(Cal.deleteEvent, { params: { eventId: id } }),
  },
  document: {
    create: async (c, visibility) => {
      const file = await uploadShared(c, visibility);
      return c.call(Doc.addDocument, { body: { fileId: file.id, visibility } });
    },
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(Doc.getDocument, { params: { documentId: id } })),
    change: (c, id) => c.call(Doc.updateDocument, { params: { documentId: id }, body: { title: 'Renamed' } }),
    remove: (c, id) => c.call(Doc.deleteDocument, { params: { documentId: id } }),
  },
  contact: {
    create: (c, visibility) => c.call(Ct.createContact, { body: { name: 'Dana Client', visibility } as never }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(Ct.getContact, { params: { contactId: id } })),
    change: (c, id) => c.call(Ct.updateContact, { params: { contactId: id }, body: { name: 'Dana C.' } }),
    remove: (c, id) => c.call(Ct.deleteContact, { params: { contactId: id } }),
  },
  invoice: {
    create: (c, visibility) =>
      c.call(Inv.createClientInvoice, {
        body: { clientName: 'Acme', lines: [{ description: 'Work', quantity: '1', unitPrice: 100 }], visibility },
      }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => outcome(await c.call(Inv.getClientInvoice, { params: { invoiceId: id } })),
    change: (c, id) => c.call(Inv.updateClientInvoice, { params: { invoiceId: id }, body: { notes: 'Thanks' } }),
    remove: (c, id) => c.call(Inv.deleteClientInvoice, { params: { invoiceId: id } }),
  },
  expense: {
    create: (c, visibility) =>
      c.call(Exp.createExpense, { body: { spentOn: '2026-03-01', merchant: 'Shop', amount: 100, currency: 'USD', visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => inList((await c.ok(Exp.listExpenses, { query: {} })).items, id),
    change: (c, id) => c.call(Exp.updateExpense, { params: { expenseId: id }, body: { merchant: 'Shop 2' } }),
    remove: (c, id) => c.call(Exp.deleteExpense, { params: { expenseId: id } }),
  },
  card: {
    create: (c, visibility) => c.call(Cards.createDeck, { body: { name: 'Water', visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => inList((await c.ok(Cards.listDecks)).items, id),
    change: (c, id) => c.call(Cards.addCard, { params: { deckId: id }, body: { question: `Q ${newId()}`, answer: 'A' } as never }),
    remove: (c, id) => c.call(Cards.deleteDeck, { params: { deckId: id } }),
  },
  task: {
    create: (c, visibility) => c.call(T.createTask, { body: { title: 'Homework', visibility } }),
    idOf: (b) => (b as { id: string }).id,
    see: async (c, id) => inList((await c.ok(T.listTasks, { query: {} })).items, id),
    change: (c, id) => c.call(T.updateTask, { params: { taskId: id }, body: { title: 'Homework!' } }),
    remove: (c, id) => c.call(T.deleteTask, { params: { taskId: id } }),
  },
};

/** A study file, uploaded with the visibility its document will have (a shared document of a private file is hidden from others). */
async function uploadShared(c: TestClient, visibility: Vis) {
  const boundary = `----csme${newId()}`;
  const payload = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="visibility"\r\n\r\n${visibility}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="water-${newId()}.txt"\r\nContent-Type: text/plain\r\n\r\n` +
      `Water evaporates. Clouds form. Rain falls. The water cycle repeats.\r\n--${boundary}--\r\n`,
  );
  const res = await c.app.inject({
    method: 'POST',
    url: Con.uploadFile.path,
    headers: { cookie: c.cookie ?? '', 'x-csrf-token': c.csrf ?? '', 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body) as { id: string };
}

/** Suggestions come from agents; the test writes one as an agent's run would (pending, hashed action). */
async function makeSuggestion(ownerAccountId: string, vis: Vis, external: boolean): Promise<{ id: string; hash: string }> {
  const skill = external ? 'email.send' : 'tasks.create';
  const action = external ? { to: ['x@example.test'], subject: 'Hi', text: 'Hello' } : { title: 'From a suggestion' };
  const id = newId();
  const hash = actionHash(skill, action);
  await env.deps.db
    .insertInto('suggestion')
    .values({
      id,
      space_id: fam.spaceId,
      owner_account_id: ownerAccountId,
      visibility: vis,
      skill_id: skill,
      action_type: skill,
      action: JSON.stringify(action),
      action_hash: hash,
      title: external ? 'Send an email' : 'Add a task',
      summary: 'A suggestion',
      status: 'pending',
      external,
      idempotency_key: `test:${id}`,
      expires_at: new Date(env.clock.now().getTime() + 7 * 86_400_000),
    })
    .execute();
  return { id, hash };
}

/** The member who makes "another member's" objects for a role: the adult for the owner, the owner for the others. */
const otherOf = (role: Role): Role => (role === 'owner' ? 'adult' : 'owner');

async function run(c: Case): Promise<{ got: Outcome; reason?: unknown }> {
  const actor = clients[c.role];
  const maker = c.whose === 'own' ? actor : clients[otherOf(c.role)];
  if (c.kind === 'suggestion') {
    const s = await makeSuggestion(maker.accountId, c.vis, c.action === 'approve-external');
    if (c.action === 'see') return { got: outcome(await actor.client.call(Sg.getSuggestion, { params: { suggestionId: s.id } })) };
    const r = await actor.client.call(Sg.approveSuggestion, { params: { suggestionId: s.id }, body: { hash: s.hash } });
    return { got: outcome(r), reason: (r.error?.details as { reason?: string } | undefined)?.reason };
  }
  const a = ADAPTERS[c.kind];
  if (c.action === 'create') {
    const r = await a.create(actor.client, c.vis);
    return { got: outcome(r), reason: (r.error?.details as { reason?: string } | undefined)?.reason ?? r.error?.message };
  }
  const made = await a.create(maker.client, c.vis);
  if (made.status >= 300)
    throw new Error(`setup: ${maker === actor ? c.role : otherOf(c.role)} could not make a ${c.vis} ${c.kind}: ${made.error?.message}`);
  const id = a.idOf(made.body);
  if (c.action === 'see') return { got: await a.see(actor.client, id) };
  const r =
    c.action === 'tick'
      ? await (async () => {
          const add = await actor.client.call(L.addListItems, { params: { listId: id }, body: { text: 'milk' } });
          if (add.status >= 300) return add;
          const itemId = (add.body as { added: string[] }).added[0]!;
          return actor.client.call(L.updateListItem, { params: { listId: id, itemId }, body: { done: true } });
        })()
      : c.action === 'change'
        ? await a.change(actor.client, id)
        : await a.remove(actor.client, id);
  return { got: outcome(r), reason: (r.error?.details as { reason?: string } | undefined)?.reason ?? r.error?.message };
}

beforeAll(async () => {
  env = await createTestEnv({ resolver: async () => [{ address: '93.184.216.34', family: 4 }] });
  fam = await familyOf(env);
  clients.owner = { client: fam.parent.client, accountId: fam.parent.accountId };
  clients.adult = { client: fam.other.client, accountId: fam.other.accountId };
  clients.child = { client: fam.kid.client, accountId: fam.kid.accountId };
  // Packs installed in this test would hit the Family plan's 10: the operator raises it for this family.
  await sql`update plan_version set limits = jsonb_set(limits, '{packs}', '1000') where plan_id = 'family'`.execute(env.deps.db);
});
afterAll(async () => {
  console.log(
    `family roles matrix: ${tally.cases} cases (${tally.ok} allowed, ${tally.forbidden} refused 403, ${tally.absent} answered 404)`,
  );
  await env?.close();
});

const tally = { cases: 0, ok: 0, forbidden: 0, absent: 0 };
const CASES = generateCases();

describe('the Family roles table, every cell through the API', () => {
  it('is generated from the table: every role, kind, visibility and action', () => {
    expect(new Set(CASES.map((c) => c.role)).size).toBe(3);
    expect(new Set(CASES.map((c) => c.kind)).size).toBe(ALL.length);
    expect(new Set(CASES.map((c) => c.vis)).size).toBe(2);
    expect(CASES.length).toBeGreaterThan(250);
  });

  for (const role of ROLES)
    for (const kind of ALL)
      it(`${role} × ${kind}: exactly the access the table gives (shared and private, every action)`, async () => {
        const wrong: string[] = [];
        for (const c of CASES.filter((x) => x.role === role && x.kind === kind)) {
          const { got, reason } = await run(c);
          tally.cases++;
          tally[c.expected]++;
          if (got !== c.expected)
            wrong.push(
              `${c.action} ${c.whose === 'own' ? 'own' : "another member's"} ${c.vis} ${kind}: expected ${c.expected}, got ${got} (${String(reason ?? '')})`,
            );
          // A refusal says why.
          else if (got === 'forbidden' && !reason) wrong.push(`${c.action} ${c.vis} ${kind}: 403 without a reason`);
        }
        expect(wrong).toEqual([]);
      }, 120_000);
});
