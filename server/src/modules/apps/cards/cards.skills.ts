import { z } from 'zod';
import { AppError } from '#core/errors.js';
import { defineSkill } from '#core/skill.js';
import { addDocumentWith } from '../documents/documents.service.js';
import { countQueue, findDeck, listDeckRows } from './cards.repository.js';
import { addCardsIn, deckForDocumentIn, queueFor } from './cards.service.js';

const QuizItem = z.object({
  type: z.enum(['cloze', 'choice']),
  question: z.string().min(1).max(2000),
  answer: z.string().min(1).max(1000),
  choices: z.array(z.string().max(300)).max(8).optional(),
});

/** Cards from a quiz (quiz.generate's output) into the deck of an uploaded file's study document. */
const cardsAdd = defineSkill({
  id: 'cards.add',
  description:
    'Adds study cards (quiz.generate items) to the deck of an uploaded file, making the file a study document if it is not one yet',
  kind: 'act',
  actionType: 'cards.add',
  scopes: ['cards:write', 'documents:write', 'files:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ fileId: z.uuid(), title: z.string().max(200).optional(), cards: z.array(QuizItem).min(1).max(50) }),
  output: z.object({ deckId: z.uuid(), documentId: z.uuid(), added: z.number().int() }),
  preview: (i, locale) => ({
    title:
      locale === 'he'
        ? `להוסיף ${i.cards.length} כרטיסי לימוד${i.title ? ` מתוך ${i.title}` : ''}`
        : `Add ${i.cards.length} study cards${i.title ? ` from ${i.title}` : ''}`,
    summary: i.cards
      .slice(0, 3)
      .map((c) => c.question)
      .join(' · '),
  }),
  async run(sctx, input) {
    if (!sctx.spaceId || !sctx.accountId) throw new AppError('internal', 'cards.add needs a space');
    const documentId = await addDocumentWith(sctx, {
      fileId: input.fileId,
      title: input.title,
      visibility: sctx.visibility,
      agentId: sctx.agentId,
    });
    return sctx.inScope(async (db) => {
      const doc = (await db.selectFrom('study_document').select(['title']).where('id', '=', documentId).executeTakeFirst())!;
      const deck = await deckForDocumentIn(db, {
        spaceId: sctx.spaceId!,
        accountId: sctx.accountId!,
        visibility: sctx.visibility,
        documentId,
        name: doc.title,
        agentId: sctx.agentId,
        now: sctx.now,
      });
      const added = await addCardsIn(
        db,
        deck,
        input.cards.map((c) => ({ kind: c.type, question: c.question, answer: c.answer, choices: c.choices ?? null })),
        sctx.now,
      );
      return { deckId: deck.id, documentId, added };
    });
  },
});

/** What is due for review today, with a short text for a notification. */
const cardsDue = defineSkill({
  id: 'cards.due',
  description: 'How many study cards are due for review now (and new ones waiting), per deck, with a short reminder text',
  kind: 'read',
  scopes: ['cards:read'],
  costClass: 'free',
  pure: false,
  input: z.strictObject({ deckId: z.uuid().optional() }),
  output: z.object({
    due: z.number().int(),
    new: z.number().int(),
    decks: z.array(z.object({ deckId: z.uuid(), name: z.string(), due: z.number().int(), new: z.number().int() })),
    title: z.string(),
    body: z.string(),
  }),
  async run(sctx, input) {
    const spaceId = sctx.spaceId!;
    const accountId = sctx.accountId!;
    const { decks, counts, queue } = await sctx.inScope(async (db) => {
      if (input.deckId && !(await findDeck(db, spaceId, input.deckId))) throw new AppError('not_found', 'That deck was not found.');
      return {
        decks: await listDeckRows(db, spaceId, accountId, sctx.now),
        counts: await countQueue(db, spaceId, accountId, { now: sctx.now, deckId: input.deckId }),
        queue: await queueFor(db, sctx.ctx, { spaceId, accountId, deckId: input.deckId, limit: 200 }),
      };
    });
    const he = sctx.locale === 'he';
    const due = Number(counts.due);
    const fresh = queue.new;
    const list = decks
      .filter((d) => !input.deckId || d.id === input.deckId)
      .map((d) => ({ deckId: d.id, name: d.name, due: Number(d.due_count), new: Number(d.new_count) }))
      .filter((d) => d.due || d.new);
    const title =
      due + fresh === 0
        ? he
          ? 'אין כרטיסים לחזרה היום'
          : 'No cards to review today'
        : he
          ? `${due} כרטיסים לחזרה היום${fresh ? `, ו-${fresh} חדשים` : ''}`
          : `${due} card${due === 1 ? '' : 's'} to review today${fresh ? `, and ${fresh} new` : ''}`;
    const body = list
      .map((d) => `• ${d.name}: ${d.due}${he ? ' לחזרה' : ' due'}${d.new ? `, ${d.new}${he ? ' חדשים' : ' new'}` : ''}`)
      .join('\n');
    return { due, new: fresh, decks: list, title, body };
  },
});

export const cardSkills = [cardsAdd, cardsDue];
