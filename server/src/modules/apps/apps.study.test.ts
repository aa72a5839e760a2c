import * as K from '@csme/contracts/cards';
import * as D from '@csme/contracts/documents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '#core/ctx.js';
import { createSkillContext, findSkill, invokeSkill } from '#core/skill.js';
import { familyOf, uploadFile } from '#test/apps.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { cardsSetting } from './cards/cards.config.js';

let env: TestEnv;
const LECTURE = `Photosynthesis is the process by which green plants turn light into chemical energy.
It takes place in the chloroplasts, which contain the green pigment chlorophyll.
The light-dependent reactions happen in the thylakoid membranes and produce ATP and NADPH.
The Calvin cycle uses ATP and NADPH to fix carbon dioxide into glucose.
In 1779 Jan Ingenhousz showed that light is essential to the process.
Oxygen is released as a by-product when water molecules are split.
Plants store the glucose they make as starch.
Without photosynthesis there would be almost no oxygen in the atmosphere.`;

beforeAll(async () => {
  env = await createTestEnv();
  // Exact schedules: no fuzz (ts-fsrs spreads due dates at random otherwise).
  await env.deps.settings.set(env.deps.db, cardsSetting, { newPerSession: 20, fuzz: false }, null);
  env.deps.settings.invalidate();
});
afterAll(() => env.close());

const minutes = (a: string | null, from: string) => (new Date(a!).getTime() - new Date(from).getTime()) / 60_000;

describe('documents and study cards', () => {
  it('summarises an uploaded file into a study document, and answers 404 for another space', async () => {
    const app = await env.app();
    const a = await signedUpClient(app);
    const b = await signedUpClient(app);
    const file = await uploadFile(a.client, 'photosynthesis.md', LECTURE);
    const doc = await a.client.ok(D.addDocument, { body: { fileId: file.id, examDate: '2026-03-20' } });
    expect(doc).toMatchObject({
      title: 'photosynthesis',
      fileName: 'photosynthesis.md',
      examDate: '2026-03-20',
      cardCount: 0,
      deckId: null,
    });
    expect(doc.summary.length).toBeGreaterThan(20);
    expect(LECTURE).toContain(doc.summary.split('. ')[0]!.replace(/\.$/, ''));
    expect(doc.keyPhrases.length).toBeGreaterThan(0);
    const again = await a.client.ok(D.addDocument, { body: { fileId: file.id } });
    expect(again.id).toBe(doc.id);
    expect((await a.client.ok(D.getDocument, { params: { documentId: doc.id } })).excerpt).toContain('chloroplasts');
    expect((await a.client.ok(D.updateDocument, { params: { documentId: doc.id }, body: { examDate: null } })).examDate).toBeNull();
    for (const r of [
      await b.client.call(D.getDocument, { params: { documentId: doc.id } }),
      await b.client.call(D.addDocument, { body: { fileId: file.id } }),
      await b.client.call(D.makeDocumentCards, { params: { documentId: doc.id }, body: { count: 3 } }),
      await b.client.call(D.deleteDocument, { params: { documentId: doc.id } }),
    ])
      expect(r.status).toBe(404);
    expect((await b.client.ok(D.listDocuments)).items).toEqual([]);
  });

  it('copes with 1 MB of text, another language and emoji', async () => {
    const { client } = await signedUpClient(await env.app());
    const big = await uploadFile(client, 'big.txt', `${LECTURE}\n`.repeat(Math.ceil(1_000_000 / LECTURE.length)));
    const d1 = await client.ok(D.addDocument, { body: { fileId: big.id } });
    expect(d1.summary).not.toBe('');
    const he = await uploadFile(
      client,
      'פוטוסינתזה.txt',
      'פוטוסינתזה היא התהליך שבו צמחים הופכים אור לאנרגיה כימית 🌱. התהליך מתרחש בכלורופלסטים. החמצן משתחרר כתוצר לוואי.',
    );
    const d2 = await client.ok(D.addDocument, { body: { fileId: he.id, title: 'ביולוגיה 🌱' } });
    expect(d2.title).toBe('ביולוגיה 🌱');
    const empty = await uploadFile(client, 'blank.txt', '   \n  ');
    const d3 = await client.ok(D.addDocument, { body: { fileId: empty.id } });
    expect(d3.summary).toBe('');
    expect((await client.call(D.makeDocumentCards, { params: { documentId: d3.id }, body: { count: 5 } })).status).toBe(400);
    expect((await client.call(D.addDocument, { body: { fileId: big.id, title: 'x'.repeat(1_000_000) } })).status).toBe(400);
  });

  it('makes cards with quiz.generate and schedules reviews with FSRS (Again 1 min, Hard 6, Good 10, Easy 8 days)', async () => {
    const { client } = await signedUpClient(await env.app());
    const file = await uploadFile(client, 'lecture.txt', LECTURE);
    const doc = await client.ok(D.addDocument, { body: { fileId: file.id } });
    const made = await client.ok(D.makeDocumentCards, { params: { documentId: doc.id }, body: { count: 4 } });
    expect(made.added).toBeGreaterThanOrEqual(3);
    const twice = await client.ok(D.makeDocumentCards, { params: { documentId: doc.id }, body: { count: 4 } });
    expect(twice).toMatchObject({ deckId: made.deckId, added: 0, cardCount: made.cardCount });
    const cards = (await client.ok(K.listDeckCards, { params: { deckId: made.deckId } })).items;
    for (const c of cards) {
      expect(LECTURE.toLowerCase()).toContain(c.answer.toLowerCase());
      if (c.kind === 'choice') expect(c.choices).toContain(c.answer);
    }
    const queue = await client.ok(K.reviewQueue, { query: { deckId: made.deckId } });
    expect(queue).toMatchObject({ due: 0, new: cards.length });
    const now = '2026-03-10T09:00:00.000Z';
    const grades = ['again', 'hard', 'good', 'easy'] as const;
    const after = await Promise.all(
      cards.slice(0, 4).map((c, i) => client.ok(K.reviewCard, { params: { cardId: c.id }, body: { rating: grades[i % 4]! } })),
    );
    expect(after.map((c) => minutes(c.due, now))).toEqual([1, 6, 10, 8 * 24 * 60].slice(0, after.length));
    expect(after[0]).toMatchObject({ state: 'learning', reps: 1 });
    const decks = await client.ok(K.listDecks);
    expect(decks.items[0]).toMatchObject({ id: made.deckId, dueCount: 0, newCount: cards.length - after.length });
  });

  it('in a family space: a child makes private decks, not shared ones, and reviews a shared deck on their own schedule', async () => {
    const { parent, other, kid } = await familyOf(env);
    const shared = await parent.client.ok(K.createDeck, { body: { name: 'Spanish verbs' } });
    const card = await parent.client.ok(K.addCard, { params: { deckId: shared.id }, body: { question: 'to eat', answer: 'comer' } });
    const secret = await parent.client.ok(K.createDeck, { body: { name: 'My private deck', visibility: 'private' } });
    expect((await other.client.call(K.listDeckCards, { params: { deckId: secret.id } })).status).toBe(404);
    expect((await kid.client.call(K.createDeck, { body: { name: 'Shared by kid', visibility: 'shared' } })).status).toBe(403);
    expect((await kid.client.call(K.addCard, { params: { deckId: shared.id }, body: { question: 'x', answer: 'y' } })).status).toBe(403);
    const mine = await kid.client.ok(K.createDeck, { body: { name: 'Dinosaurs 🦕' } });
    expect(mine.visibility).toBe('private');
    await kid.client.ok(K.addCard, {
      params: { deckId: mine.id },
      body: { question: 'Biggest?', answer: 'Argentinosaurus', choices: ['T. rex', 'Argentinosaurus'] },
    });
    expect((await parent.client.call(K.listDeckCards, { params: { deckId: mine.id } })).status).toBe(404);
    const reviewed = await kid.client.ok(K.reviewCard, { params: { cardId: card.id }, body: { rating: 'easy' } });
    expect(reviewed.state).toBe('review');
    const parentView = (await parent.client.ok(K.listDeckCards, { params: { deckId: shared.id } })).items[0]!;
    expect(parentView).toMatchObject({ state: 'new', due: null, reps: 0 });
    expect((await other.client.call(K.deleteDeck, { params: { deckId: shared.id } })).status).toBe(200);
  });

  it('offers packs cards.add (from quiz.generate) and cards.due with a reminder text', async () => {
    const { client, spaceId, accountId } = await signedUpClient(await env.app());
    const file = await uploadFile(client, 'notes.txt', LECTURE);
    const sctx = await createSkillContext(systemCtx(env.deps), { spaceId, accountId });
    const quiz = await invokeSkill(findSkill(env.deps.modules, 'quiz.generate')!, sctx, { text: LECTURE, count: 3 });
    const add = findSkill(env.deps.modules, 'cards.add')!;
    expect(add).toMatchObject({ kind: 'act', scopes: ['cards:write', 'documents:write', 'files:read'] });
    const r = (await invokeSkill(add, { ...sctx, idempotencyKey: 'x' }, { fileId: file.id, title: 'Biology', cards: quiz })) as {
      added: number;
    };
    expect(r.added).toBe(3);
    const due = (await invokeSkill(findSkill(env.deps.modules, 'cards.due')!, sctx, {})) as { title: string; new: number };
    expect(due).toMatchObject({ new: 3, title: '0 cards to review today, and 3 new' });
    const docs = (await invokeSkill(findSkill(env.deps.modules, 'documents.list')!, sctx, {})) as {
      documents: Array<{ title: string; cardCount: number }>;
    };
    expect(docs.documents).toMatchObject([{ title: 'Biology', cardCount: 3 }]);
  });
});
