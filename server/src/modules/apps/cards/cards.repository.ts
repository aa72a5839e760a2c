import { type Insertable, sql } from 'kysely';
import type { Db } from '#core/db.js';
import type { Card, CardDeck, CardState } from '#core/db.types.js';

export async function listDeckRows(db: Db, spaceId: string, accountId: string, now: Date) {
  return db
    .selectFrom('card_deck as k')
    .selectAll('k')
    .select([
      sql<number>`(select count(*)::int from card c where c.deck_id = k.id)`.as('card_count'),
      sql<number>`(select count(*)::int from card c join card_state s on s.card_id = c.id and s.owner_account_id = ${accountId} where c.deck_id = k.id and s.due <= ${now})`.as(
        'due_count',
      ),
      sql<number>`(select count(*)::int from card c where c.deck_id = k.id and not exists (select 1 from card_state s where s.card_id = c.id and s.owner_account_id = ${accountId}))`.as(
        'new_count',
      ),
    ])
    .where('k.space_id', '=', spaceId)
    .orderBy('k.created_at', 'desc')
    .orderBy('k.id', 'desc')
    .execute();
}
export type DeckRow = Awaited<ReturnType<typeof listDeckRows>>[number];

export async function findDeck(db: Db, spaceId: string, id: string) {
  return db.selectFrom('card_deck').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

export async function findDeckOfDocument(db: Db, spaceId: string, accountId: string, documentId: string) {
  return db
    .selectFrom('card_deck')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('owner_account_id', '=', accountId)
    .where('document_id', '=', documentId)
    .executeTakeFirst();
}

export async function insertDeck(db: Db, row: Insertable<CardDeck>): Promise<string> {
  const r = await db
    .insertInto('card_deck')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (r) return r.id;
  const q = db.selectFrom('card_deck').select('id').where('space_id', '=', row.space_id);
  const found = row.document_id
    ? await q.where('owner_account_id', '=', row.owner_account_id).where('document_id', '=', row.document_id).executeTakeFirst()
    : await q.where('idempotency_key', '=', row.idempotency_key ?? '').executeTakeFirst();
  return found!.id;
}

export async function deleteDeckRow(db: Db, spaceId: string, id: string) {
  return Number((await db.deleteFrom('card_deck').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst()).numDeletedRows);
}

/** Inserts cards; a question already in the deck is skipped. Returns how many were added. */
export async function insertCards(db: Db, rows: Insertable<Card>[]): Promise<number> {
  if (!rows.length) return 0;
  const r = await db
    .insertInto('card')
    .values(rows)
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .execute();
  return r.length;
}

function withState(db: Db, spaceId: string, accountId: string) {
  return db
    .selectFrom('card as c')
    .leftJoin('card_state as s', (j) => j.onRef('s.card_id', '=', 'c.id').on('s.owner_account_id', '=', accountId))
    .selectAll('c')
    .select([
      's.due',
      's.stability',
      's.difficulty',
      's.elapsed_days',
      's.scheduled_days',
      's.learning_steps',
      's.reps',
      's.lapses',
      's.state',
      's.last_review',
    ])
    .where('c.space_id', '=', spaceId);
}

export async function listCardRows(db: Db, spaceId: string, accountId: string, deckId: string) {
  return withState(db, spaceId, accountId).where('c.deck_id', '=', deckId).orderBy('c.created_at').orderBy('c.id').limit(2000).execute();
}
export type CardRow = Awaited<ReturnType<typeof listCardRows>>[number];

export async function findCard(db: Db, spaceId: string, accountId: string, id: string) {
  return withState(db, spaceId, accountId).where('c.id', '=', id).executeTakeFirst();
}

export async function dueCards(db: Db, spaceId: string, accountId: string, o: { now: Date; deckId?: string; limit: number }) {
  let q = withState(db, spaceId, accountId).where('s.due', '<=', o.now);
  if (o.deckId) q = q.where('c.deck_id', '=', o.deckId);
  return q.orderBy('s.due').orderBy('c.id').limit(o.limit).execute();
}

export async function newCards(db: Db, spaceId: string, accountId: string, o: { deckId?: string; limit: number }) {
  let q = withState(db, spaceId, accountId).where('s.card_id', 'is', null);
  if (o.deckId) q = q.where('c.deck_id', '=', o.deckId);
  return q.orderBy('c.created_at').orderBy('c.id').limit(o.limit).execute();
}

export async function countQueue(db: Db, spaceId: string, accountId: string, o: { now: Date; deckId?: string }) {
  let q = withState(db, spaceId, accountId)
    .clearSelect()
    .select([
      sql<number>`count(*) filter (where s.due <= ${o.now})::int`.as('due'),
      sql<number>`count(*) filter (where s.card_id is null)::int`.as('fresh'),
    ]);
  if (o.deckId) q = q.where('c.deck_id', '=', o.deckId);
  return q.executeTakeFirstOrThrow();
}

export async function upsertState(db: Db, row: Insertable<CardState>) {
  await db
    .insertInto('card_state')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['card_id', 'owner_account_id']).doUpdateSet({
        due: row.due,
        stability: row.stability,
        difficulty: row.difficulty,
        elapsed_days: row.elapsed_days,
        scheduled_days: row.scheduled_days,
        learning_steps: row.learning_steps,
        reps: row.reps,
        lapses: row.lapses,
        state: row.state,
        last_review: row.last_review,
      }),
    )
    .execute();
}

export async function deleteCardRow(db: Db, spaceId: string, id: string) {
  return Number((await db.deleteFrom('card').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst()).numDeletedRows);
}
