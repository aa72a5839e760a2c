import type { CardView, DeckView } from '@csme/contracts/cards';
import { createEmptyCard, fsrs, generatorParameters, Rating, type State } from 'ts-fsrs';
import type { Actor, ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { runSkill, standaloneSkillContext } from '#modules/skills/index.js';
import { documentText } from '../documents/documents.service.js';
import { cardsSetting } from './cards.config.js';
import {
  type CardRow,
  countQueue,
  type DeckRow,
  deleteCardRow,
  deleteDeckRow,
  dueCards,
  findCard,
  findDeck,
  findDeckOfDocument,
  insertCards,
  insertDeck,
  listCardRows,
  listDeckRows,
  newCards,
  upsertState,
} from './cards.repository.js';

const STATES = ['new', 'learning', 'review', 'relearning'] as const;
const RATINGS = { again: Rating.Again, hard: Rating.Hard, good: Rating.Good, easy: Rating.Easy } as const;

export function presentDeck(r: DeckRow): DeckView {
  return {
    id: r.id,
    name: r.name,
    documentId: r.document_id,
    cardCount: Number(r.card_count),
    dueCount: Number(r.due_count),
    newCount: Number(r.new_count),
    visibility: r.visibility as 'shared' | 'private',
    createdAt: r.created_at.toISOString(),
  };
}

export function presentCard(r: CardRow): CardView {
  return {
    id: r.id,
    deckId: r.deck_id,
    kind: r.kind as CardView['kind'],
    question: r.question,
    answer: r.answer,
    choices: (r.choices as string[] | null) ?? null,
    due: r.due?.toISOString() ?? null,
    state: STATES[r.state ?? 0] ?? 'new',
    reps: r.reps ?? 0,
    lapses: r.lapses ?? 0,
  };
}

/** Family roles: a child makes private decks and cards of their own; shared ones are for adults to change. Anyone reviews. */
function assertMayWrite(actor: Actor, visibility: string) {
  if (actor.role === 'child' && visibility !== 'private')
    throw new AppError('forbidden', 'Only an adult of the family can add or change shared study cards; make a private deck of your own.', {
      reason: 'child',
    });
}

function visibilityFor(actor: Actor, wanted?: 'shared' | 'private'): 'shared' | 'private' {
  if (actor.spaceKind !== 'family') return 'private';
  return wanted ?? (actor.role === 'child' ? 'private' : 'shared');
}

async function deckView(db: Db, actor: Actor, now: Date, id: string): Promise<DeckView> {
  const row = (await listDeckRows(db, actor.spaceId, actor.accountId, now)).find((d) => d.id === id);
  if (!row) throw new AppError('not_found', 'That deck was not found.');
  return presentDeck(row);
}

export async function listDecks(ctx: ActorCtx) {
  const rows = await inSpace(ctx, (c) => listDeckRows(c.db, ctx.actor.spaceId, ctx.actor.accountId, ctx.now()));
  return { items: rows.map(presentDeck) };
}

export async function createDeck(ctx: ActorCtx, input: { name: string; visibility?: 'shared' | 'private' }) {
  const visibility = visibilityFor(ctx.actor, input.visibility);
  assertMayWrite(ctx.actor, visibility);
  return inSpace(ctx, async (c) => {
    const id = await insertDeck(c.db, {
      id: newId(),
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility,
      name: input.name,
      created_at: ctx.now(),
      updated_at: ctx.now(),
    });
    return deckView(c.db, ctx.actor, ctx.now(), id);
  });
}

async function mustFindDeck(db: Db, actor: Actor, id: string) {
  const d = await findDeck(db, actor.spaceId, id);
  if (!d) throw new AppError('not_found', 'That deck was not found.');
  return d;
}

export async function deleteDeck(ctx: ActorCtx, id: string) {
  await inSpace(ctx, async (c) => {
    const d = await mustFindDeck(c.db, ctx.actor, id);
    assertMayWrite(ctx.actor, d.visibility);
    await deleteDeckRow(c.db, ctx.actor.spaceId, id);
  });
}

export async function listDeckCards(ctx: ActorCtx, deckId: string) {
  return inSpace(ctx, async (c) => {
    await mustFindDeck(c.db, ctx.actor, deckId);
    return { items: (await listCardRows(c.db, ctx.actor.spaceId, ctx.actor.accountId, deckId)).map(presentCard) };
  });
}

export interface NewCard {
  kind: 'basic' | 'cloze' | 'choice';
  question: string;
  answer: string;
  choices?: string[] | null;
}

/** Adds cards to a deck in the caller's transaction; a question the deck already has is skipped. */
export async function addCardsIn(
  db: Db,
  deck: { id: string; space_id: string; owner_account_id: string; visibility: string },
  cards: NewCard[],
  now: Date,
) {
  return insertCards(
    db,
    cards.map((k) => ({
      id: newId(),
      space_id: deck.space_id,
      owner_account_id: deck.owner_account_id,
      visibility: deck.visibility,
      deck_id: deck.id,
      kind: k.kind,
      question: k.question.slice(0, 2000),
      answer: k.answer.slice(0, 1000),
      choices: k.choices ? JSON.stringify(k.choices.slice(0, 8)) : null,
      created_at: now,
    })),
  );
}

/** The deck a document's cards go to (one per person and document), made when first needed. */
export async function deckForDocumentIn(
  db: Db,
  o: {
    spaceId: string;
    accountId: string;
    visibility: 'shared' | 'private';
    documentId: string;
    name: string;
    agentId?: string | null;
    now: Date;
  },
) {
  const found = await findDeckOfDocument(db, o.spaceId, o.accountId, o.documentId);
  if (found) return found;
  const id = await insertDeck(db, {
    id: newId(),
    space_id: o.spaceId,
    owner_account_id: o.accountId,
    visibility: o.visibility,
    document_id: o.documentId,
    name: o.name.slice(0, 200),
    created_by_agent_id: o.agentId ?? null,
    created_at: o.now,
    updated_at: o.now,
  });
  return (await findDeck(db, o.spaceId, id))!;
}

export async function addCard(ctx: ActorCtx, deckId: string, input: { question: string; answer: string; choices?: string[] }) {
  return inSpace(ctx, async (c) => {
    const deck = await mustFindDeck(c.db, ctx.actor, deckId);
    assertMayWrite(ctx.actor, deck.visibility);
    if (input.choices && !input.choices.includes(input.answer))
      throw new AppError('invalid_input', 'The answer must be one of the choices.', { field: 'choices' });
    const added = await addCardsIn(c.db, deck, [{ kind: input.choices ? 'choice' : 'basic', ...input }], ctx.now());
    if (!added) throw new AppError('conflict', 'This deck already has a card with that question.');
    const rows = await listCardRows(c.db, ctx.actor.spaceId, ctx.actor.accountId, deckId);
    return presentCard(rows.find((r) => r.question === input.question)!);
  });
}

export async function deleteCard(ctx: ActorCtx, id: string) {
  await inSpace(ctx, async (c) => {
    const card = await findCard(c.db, ctx.actor.spaceId, ctx.actor.accountId, id);
    if (!card) throw new AppError('not_found', 'That card was not found.');
    assertMayWrite(ctx.actor, card.visibility);
    await deleteCardRow(c.db, ctx.actor.spaceId, id);
  });
}

/** The FSRS scheduler with the operator's settings (fuzz off makes schedules exact, as tests need). */
async function scheduler(ctx: Ctx) {
  const s = await ctx.deps.settings.get(cardsSetting);
  return { f: fsrs(generatorParameters({ enable_fuzz: s.fuzz })), newPerSession: s.newPerSession };
}

/** What to review now: due cards (soonest first), then up to the session's number of new cards. */
export async function queueFor(db: Db, ctx: Ctx, o: { spaceId: string; accountId: string; deckId?: string; limit: number }) {
  const { newPerSession } = await scheduler(ctx);
  const now = ctx.now();
  const due = await dueCards(db, o.spaceId, o.accountId, { now, deckId: o.deckId, limit: o.limit });
  const fresh =
    due.length < o.limit
      ? await newCards(db, o.spaceId, o.accountId, { deckId: o.deckId, limit: Math.min(newPerSession, o.limit - due.length) })
      : [];
  const counts = await countQueue(db, o.spaceId, o.accountId, { now, deckId: o.deckId });
  return { items: [...due, ...fresh].map(presentCard), due: Number(counts.due), new: Math.min(Number(counts.fresh), newPerSession) };
}

export async function reviewQueue(ctx: ActorCtx, q: { deckId?: string; limit: number }) {
  return inSpace(ctx, async (c) => {
    if (q.deckId) await mustFindDeck(c.db, ctx.actor, q.deckId);
    return queueFor(c.db, ctx, { spaceId: ctx.actor.spaceId, accountId: ctx.actor.accountId, deckId: q.deckId, limit: q.limit });
  });
}

/** Grades a review: FSRS computes the person's next schedule for this card (their own, also on shared decks). */
export async function reviewCard(ctx: ActorCtx, id: string, rating: keyof typeof RATINGS): Promise<CardView> {
  const { f } = await scheduler(ctx);
  return inSpace(ctx, async (c) => {
    const row = await findCard(c.db, ctx.actor.spaceId, ctx.actor.accountId, id);
    if (!row) throw new AppError('not_found', 'That card was not found.');
    const now = ctx.now();
    const current =
      row.due && row.state !== null
        ? {
            due: row.due,
            stability: row.stability!,
            difficulty: row.difficulty!,
            elapsed_days: row.elapsed_days!,
            scheduled_days: row.scheduled_days!,
            learning_steps: row.learning_steps!,
            reps: row.reps!,
            lapses: row.lapses!,
            state: row.state as State,
            last_review: row.last_review ?? undefined,
          }
        : createEmptyCard(now);
    const next = f.next(current, now, RATINGS[rating]).card;
    await upsertState(c.db, {
      card_id: id,
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility: 'private',
      due: next.due,
      stability: next.stability,
      difficulty: next.difficulty,
      elapsed_days: next.elapsed_days,
      scheduled_days: next.scheduled_days,
      learning_steps: next.learning_steps,
      reps: next.reps,
      lapses: next.lapses,
      state: next.state,
      last_review: next.last_review ?? now,
    });
    return presentCard((await findCard(c.db, ctx.actor.spaceId, ctx.actor.accountId, id))!);
  });
}

/**
 * Cards from a document, through `quiz.generate` (cloze and multiple choice; every answer is words of
 * the text), into the document's deck for this person. A question the deck already has is skipped.
 */
export async function makeCardsFromDocument(ctx: ActorCtx, documentId: string, count: number) {
  const doc = await inSpace(ctx, (c) => documentText(c.db, ctx.actor.spaceId, ctx.actor.accountId, documentId));
  if (!doc) throw new AppError('not_found', 'That document was not found.');
  const visibility = ctx.actor.role === 'child' ? 'private' : (doc.row.visibility as 'shared' | 'private');
  if (!doc.text.trim()) throw new AppError('invalid_input', 'This document has no text to make cards from (a scan without a text layer?).');
  const quiz = (await runSkill(standaloneSkillContext({ now: ctx.now(), locale: ctx.actor.locale }), 'quiz.generate', {
    text: doc.text.slice(0, 1_048_576),
    count,
  })) as Array<{ type: 'cloze' | 'choice'; question: string; answer: string; choices?: string[] }>;
  return inSpace(ctx, async (c) => {
    const deck = await deckForDocumentIn(c.db, {
      spaceId: ctx.actor.spaceId,
      accountId: ctx.actor.accountId,
      visibility,
      documentId,
      name: doc.row.title,
      now: ctx.now(),
    });
    const added = await addCardsIn(
      c.db,
      deck,
      quiz.map((q) => ({ kind: q.type, question: q.question, answer: q.answer, choices: q.choices ?? null })),
      ctx.now(),
    );
    const cardCount = (await listCardRows(c.db, ctx.actor.spaceId, ctx.actor.accountId, deck.id)).length;
    return { deckId: deck.id, added, cardCount };
  });
}
