import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';

const tags = ['cards'];

export const CARD_KINDS = ['basic', 'cloze', 'choice'] as const;
export const RATINGS = ['again', 'hard', 'good', 'easy'] as const;
export const Rating = z.enum(RATINGS);

export const DeckView = z.object({
  id: Id,
  name: z.string(),
  documentId: Id.nullable(),
  cardCount: z.number().int(),
  /** Cards due for you now (your own schedule), and cards you have not studied yet. */
  dueCount: z.number().int(),
  newCount: z.number().int(),
  visibility: Visibility,
  createdAt: z.string(),
});
export type DeckView = z.infer<typeof DeckView>;

export const CardView = z.object({
  id: Id,
  deckId: Id,
  kind: z.enum(CARD_KINDS),
  question: z.string(),
  answer: z.string(),
  choices: z.array(z.string()).nullable(),
  /** Your schedule for this card: null until you first review it. */
  due: z.string().nullable(),
  state: z.enum(['new', 'learning', 'review', 'relearning']),
  reps: z.number().int(),
  lapses: z.number().int(),
});
export type CardView = z.infer<typeof CardView>;

export const listDecks = endpoint({
  method: 'GET',
  path: '/api/v1/decks',
  summary: 'Your decks of study cards, with what is due for you',
  tags,
  response: z.object({ items: z.array(DeckView) }),
});
export const createDeck = endpoint({
  method: 'POST',
  path: '/api/v1/decks',
  summary: 'Make a deck (a child makes private ones)',
  tags,
  body: z.strictObject({ name: Text(200).pipe(z.string().min(1, 'is required')), visibility: Visibility.optional() }),
  response: DeckView,
  status: 201,
});
const DeckParams = z.strictObject({ deckId: Id });
export const deleteDeck = endpoint({
  method: 'DELETE',
  path: '/api/v1/decks/:deckId',
  summary: 'Delete a deck and its cards',
  tags,
  params: DeckParams,
  response: z.object({ ok: z.literal(true) }),
});
export const listDeckCards = endpoint({
  method: 'GET',
  path: '/api/v1/decks/:deckId/cards',
  summary: 'The cards of a deck, with your schedule for each',
  tags,
  params: DeckParams,
  response: z.object({ items: z.array(CardView) }),
});
export const addCard = endpoint({
  method: 'POST',
  path: '/api/v1/decks/:deckId/cards',
  summary: 'Add a card to a deck',
  tags,
  params: DeckParams,
  body: z.strictObject({
    question: Text(2000).pipe(z.string().min(1, 'is required')),
    answer: Text(1000).pipe(z.string().min(1, 'is required')),
    choices: z.array(Text(300)).min(2).max(8).optional(),
  }),
  response: CardView,
  status: 201,
});
const CardParams = z.strictObject({ cardId: Id });
export const deleteCard = endpoint({
  method: 'DELETE',
  path: '/api/v1/cards/:cardId',
  summary: 'Delete a card',
  tags,
  params: CardParams,
  response: z.object({ ok: z.literal(true) }),
});
export const reviewQueue = endpoint({
  method: 'GET',
  path: '/api/v1/cards/queue',
  summary: 'What to review now: your due cards, soonest first, then new ones (up to the daily number of new cards)',
  tags,
  query: z.strictObject({ deckId: Id.optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }),
  response: z.object({ items: z.array(CardView), due: z.number().int(), new: z.number().int() }),
});
export const reviewCard = endpoint({
  method: 'POST',
  path: '/api/v1/cards/:cardId/review',
  summary: 'Grade your answer (Again, Hard, Good, Easy); FSRS schedules the next review',
  tags,
  params: CardParams,
  body: z.strictObject({ rating: Rating }),
  response: CardView,
});
