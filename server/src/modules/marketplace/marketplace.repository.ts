import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Db } from '#core/db.js';
import type { CreatorProfile, LedgerEntry, Listing, PackPurchase, PackSubmission } from '#core/db.types.js';

// Plain queries. Listings, submissions, the ledger, payouts and reviews are instance-level tables
// (read with the owner role); purchases and uninstall reasons are tenant rows (RLS).

export type ListingRow = Selectable<Listing>;
export type SubmissionRow = Selectable<PackSubmission>;
export type LedgerRow = Selectable<LedgerEntry>;
export type PurchaseRow = Selectable<PackPurchase>;

// ---------------------------------------------------------------- creators

export async function findProfile(db: Db, accountId: string) {
  return db.selectFrom('creator_profile').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

export async function upsertProfile(db: Db, row: Insertable<CreatorProfile>, set: Updateable<CreatorProfile>): Promise<void> {
  await db
    .insertInto('creator_profile')
    .values(row)
    .onConflict((oc) => oc.column('account_id').doUpdateSet(set))
    .execute();
}

export async function findPersonalSpaceId(db: Db, accountId: string): Promise<string | null> {
  const r = await db.selectFrom('account').select('personal_space_id').where('id', '=', accountId).executeTakeFirst();
  return r?.personal_space_id ?? null;
}

// ---------------------------------------------------------------- listings

export async function findListing(db: Db, packId: string) {
  return db.selectFrom('listing').selectAll().where('pack_id', '=', packId).executeTakeFirst();
}

export async function insertListing(db: Db, row: Insertable<Listing>): Promise<void> {
  await db.insertInto('listing').values(row).execute();
}

export async function updateListingRow(db: Db, packId: string, set: Updateable<Listing>): Promise<void> {
  await db.updateTable('listing').set(set).where('pack_id', '=', packId).execute();
}

export async function listListingsOf(db: Db, creatorAccountId: string) {
  return db.selectFrom('listing').selectAll().where('creator_account_id', '=', creatorAccountId).orderBy('created_at').execute();
}

/** The newest approved marketplace version of a pack (what new installs get). */
export async function findLatestApproved(db: Db, packId: string) {
  return db
    .selectFrom('pack_version')
    .selectAll()
    .where('pack_id', '=', packId)
    .where('source', 'in', ['marketplace', 'import'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function listApprovedVersions(db: Db, packId: string) {
  return db
    .selectFrom('pack_submission as s')
    .innerJoin('pack_version as v', 'v.id', 's.pack_version_id')
    .select(['s.version', 's.changelog', 'v.created_at', 'v.id as version_id'])
    .where('s.pack_id', '=', packId)
    .where('s.status', '=', 'approved')
    .orderBy('v.created_at', 'desc')
    .orderBy('v.id', 'desc')
    .execute();
}

export interface ListingFilter {
  q?: string;
  persona?: string;
  category?: string;
  price?: 'free' | 'paid';
  minRating?: number;
  sort: 'popular' | 'new' | 'top_rated';
  limit: number;
  offset: number;
}

/** Listed packs with their newest version, rating (visible reviews) and installs, filtered and sorted. */
export async function searchListings(db: Db, f: ListingFilter) {
  let q = db
    .selectFrom('listing as l')
    .innerJoin('account as c', 'c.id', 'l.creator_account_id')
    .leftJoin('creator_profile as p', 'p.account_id', 'l.creator_account_id')
    .select([
      'l.pack_id',
      'l.title',
      'l.tagline',
      'l.persona',
      'l.categories',
      'l.price_model',
      'l.price_usd',
      'l.price_ils',
      'l.first_listed_at',
      sql<string>`coalesce(p.display_name, c.display_name)`.as('creator'),
      sql<unknown>`(select v.manifest from pack_version v where v.pack_id = l.pack_id and v.source in ('marketplace', 'import') order by v.created_at desc, v.id desc limit 1)`.as(
        'manifest',
      ),
      sql<string>`(select v.version from pack_version v where v.pack_id = l.pack_id and v.source in ('marketplace', 'import') order by v.created_at desc, v.id desc limit 1)`.as(
        'version',
      ),
      sql<number | null>`(select avg(r.rating)::float8 from pack_review r where r.pack_id = l.pack_id and r.hidden_at is null)`.as(
        'rating_avg',
      ),
      sql<number>`(select count(*)::int from pack_review r where r.pack_id = l.pack_id and r.hidden_at is null)`.as('rating_count'),
      sql<number>`(select count(*)::int from pack_installation i where i.pack_id = l.pack_id)`.as('installs'),
    ])
    .where('l.status', '=', 'listed');
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((e) => e.or([e('l.title', 'ilike', like), e('l.tagline', 'ilike', like), e('l.description_md', 'ilike', like)]));
  }
  if (f.persona) q = q.where('l.persona', '=', f.persona);
  if (f.category) q = q.where(sql<boolean>`${f.category} = any(l.categories)`);
  if (f.price === 'free') q = q.where('l.price_model', '=', 'free');
  if (f.price === 'paid') q = q.where('l.price_model', '<>', 'free');
  if (f.minRating)
    q = q.where(
      sql<boolean>`coalesce((select avg(r.rating) from pack_review r where r.pack_id = l.pack_id and r.hidden_at is null), 0) >= ${f.minRating}`,
    );
  if (f.sort === 'new') q = q.orderBy('l.first_listed_at', 'desc');
  else if (f.sort === 'top_rated') q = q.orderBy(sql`rating_avg`, sql`desc nulls last`).orderBy(sql`rating_count`, 'desc');
  else q = q.orderBy(sql`installs`, 'desc').orderBy('l.first_listed_at', 'desc');
  return q
    .orderBy('l.pack_id')
    .limit(f.limit + 1)
    .offset(f.offset)
    .execute();
}

export async function listCategories(db: Db): Promise<string[]> {
  const r = await sql<{
    c: string;
  }>`select distinct unnest(categories) as c from listing where status = 'listed' order by 1 limit 100`.execute(db);
  return r.rows.map((x) => x.c);
}

export async function listingStats(db: Db, packId: string) {
  return db
    .selectNoFrom([
      sql<number | null>`(select avg(r.rating)::float8 from pack_review r where r.pack_id = ${packId} and r.hidden_at is null)`.as(
        'rating_avg',
      ),
      sql<number>`(select count(*)::int from pack_review r where r.pack_id = ${packId} and r.hidden_at is null)`.as('rating_count'),
      sql<number>`(select count(*)::int from pack_installation i where i.pack_id = ${packId})`.as('installs'),
    ])
    .executeTakeFirstOrThrow();
}

export async function listScreenshots(db: Db, packId: string) {
  return db
    .selectFrom('listing_screenshot')
    .select(['id', 'caption'])
    .where('pack_id', '=', packId)
    .orderBy('sort')
    .orderBy('created_at')
    .execute();
}

export async function findScreenshot(db: Db, id: string) {
  return db.selectFrom('listing_screenshot').selectAll().where('id', '=', id).executeTakeFirst();
}

// ---------------------------------------------------------------- submissions

export async function insertSubmission(db: Db, row: Insertable<PackSubmission>): Promise<void> {
  await db.insertInto('pack_submission').values(row).execute();
}

export async function findSubmission(db: Db, id: string) {
  return db.selectFrom('pack_submission').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function lockSubmission(db: Db, id: string) {
  return db.selectFrom('pack_submission').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateSubmission(db: Db, id: string, set: Updateable<PackSubmission>): Promise<void> {
  await db.updateTable('pack_submission').set(set).where('id', '=', id).execute();
}

/** The newest version of a pack that was not rejected (pending or approved): a new one must be greater. */
export async function listLiveSubmissions(db: Db, packId: string) {
  return db
    .selectFrom('pack_submission')
    .select(['id', 'version', 'status', 'manifest'])
    .where('pack_id', '=', packId)
    .where('status', '<>', 'rejected')
    .execute();
}

export async function listSubmissionsOf(db: Db, creatorAccountId: string) {
  return db
    .selectFrom('pack_submission')
    .selectAll()
    .where('creator_account_id', '=', creatorAccountId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}

export async function listSubmissionsForReview(db: Db, status: string | undefined) {
  let q = db
    .selectFrom('pack_submission as s')
    .leftJoin('creator_profile as p', 'p.account_id', 's.creator_account_id')
    .selectAll('s')
    .select('p.display_name as creator');
  if (status) q = q.where('s.status', '=', status);
  return q
    .orderBy(sql`case when s.status = 'pending' then 0 else 1 end`)
    .orderBy('s.created_at', 'desc')
    .orderBy('s.id', 'desc')
    .limit(200)
    .execute();
}

// ---------------------------------------------------------------- purchases (tenant rows)

export async function insertPurchase(db: Db, row: Insertable<PackPurchase>): Promise<void> {
  await db.insertInto('pack_purchase').values(row).execute();
}

export async function findLivePurchase(db: Db, spaceId: string, packId: string) {
  return db
    .selectFrom('pack_purchase')
    .selectAll()
    .where('space_id', '=', spaceId)
    .where('pack_id', '=', packId)
    .where('status', 'in', ['pending', 'active'])
    .executeTakeFirst();
}

export async function findPurchase(db: Db, spaceId: string, id: string) {
  return db.selectFrom('pack_purchase').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
}

/** System: a purchase by id, locked (the paying transaction). */
export async function lockPurchaseById(db: Db, id: string) {
  return db.selectFrom('pack_purchase').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updatePurchase(db: Db, id: string, set: Updateable<PackPurchase>): Promise<void> {
  await db.updateTable('pack_purchase').set(set).where('id', '=', id).execute();
}

export async function listPurchasesOf(db: Db, spaceId: string) {
  return db
    .selectFrom('pack_purchase as p')
    .innerJoin('listing as l', 'l.pack_id', 'p.pack_id')
    .selectAll('p')
    .select('l.title')
    .where('p.space_id', '=', spaceId)
    .orderBy('p.created_at', 'desc')
    .execute();
}

/** System: monthly purchases whose paid month ended before `before`. */
export async function listLapsingPurchases(db: Db, before: Date) {
  return db
    .selectFrom('pack_purchase')
    .select(['id', 'space_id', 'pack_id', 'account_id'])
    .where('status', '=', 'active')
    .where('price_model', '=', 'monthly')
    .where('period_end', '<', before)
    .limit(500)
    .execute();
}

// ---------------------------------------------------------------- the ledger

export async function insertLedgerEntry(db: Db, row: Insertable<LedgerEntry>): Promise<boolean> {
  const r = await db
    .insertInto('ledger_entry')
    .values(row)
    .onConflict((oc) => oc.column('invoice_id').where('kind', '=', 'sale').doNothing())
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function findLedgerEntry(db: Db, id: string) {
  return db.selectFrom('ledger_entry').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function listRefundsOf(db: Db, saleIds: string[]) {
  if (!saleIds.length) return [];
  return db.selectFrom('ledger_entry').selectAll().where('sale_id', 'in', saleIds).orderBy('occurred_at').execute();
}

export async function listSales(db: Db, packId: string | undefined) {
  let q = db.selectFrom('ledger_entry').selectAll().where('kind', '=', 'sale');
  if (packId) q = q.where('pack_id', '=', packId);
  return q.orderBy('occurred_at', 'desc').limit(500).execute();
}

/** A creator's entries: never the purchase, so never the buyer. */
export async function listEntriesOfCreator(db: Db, creatorAccountId: string) {
  return db
    .selectFrom('ledger_entry as e')
    .leftJoin('payout as p', 'p.id', 'e.payout_id')
    .select([
      'e.id',
      'e.kind',
      'e.pack_id',
      'e.currency',
      'e.gross',
      'e.tax',
      'e.creator_amount',
      'e.platform_amount',
      'e.occurred_at',
      'e.payout_id',
      'p.period as payout_period',
      'p.status as payout_status',
    ])
    .where('e.creator_account_id', '=', creatorAccountId)
    .orderBy('e.occurred_at', 'desc')
    .limit(1000)
    .execute();
}

// ---------------------------------------------------------------- payouts

/** Unpaid entries up to `before`, per creator and currency (system work: the monthly payout run). */
export async function unpaidBalances(db: Db, before: Date) {
  return db
    .selectFrom('ledger_entry')
    .select(['creator_account_id', 'currency', sql<number>`sum(creator_amount)::int`.as('amount'), sql<number>`count(*)::int`.as('n')])
    .where('payout_id', 'is', null)
    .where('occurred_at', '<', before)
    .groupBy(['creator_account_id', 'currency'])
    .execute();
}

export async function listPayouts(db: Db, where: { period?: string; creatorAccountId?: string }) {
  let q = db
    .selectFrom('payout as p')
    .innerJoin('account as a', 'a.id', 'p.creator_account_id')
    .leftJoin('creator_profile as c', 'c.account_id', 'p.creator_account_id')
    .selectAll('p')
    .select([sql<string>`coalesce(c.display_name, a.display_name)`.as('creator'), 'a.email', 'c.payout_method', 'c.payout_details']);
  if (where.period) q = q.where('p.period', '=', where.period);
  if (where.creatorAccountId) q = q.where('p.creator_account_id', '=', where.creatorAccountId);
  return q.orderBy('p.period', 'desc').orderBy('creator').limit(1000).execute();
}

// ---------------------------------------------------------------- reviews

export async function listReviewsOf(db: Db, packId: string, opts: { includeHidden: boolean; limit: number; offset: number }) {
  let q = db
    .selectFrom('pack_review as r')
    .innerJoin('account as a', 'a.id', 'r.account_id')
    .selectAll('r')
    .select('a.display_name as author')
    .where('r.pack_id', '=', packId);
  if (!opts.includeHidden) q = q.where('r.hidden_at', 'is', null);
  return q
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id')
    .limit(opts.limit + 1)
    .offset(opts.offset)
    .execute();
}

export async function findReview(db: Db, id: string) {
  return db
    .selectFrom('pack_review as r')
    .innerJoin('account as a', 'a.id', 'r.account_id')
    .selectAll('r')
    .select('a.display_name as author')
    .where('r.id', '=', id)
    .executeTakeFirst();
}

export type ReviewRow = NonNullable<Awaited<ReturnType<typeof findReview>>>;

/** Has this person installed the pack, in any space, at any time (uninstalled too)? */
export async function hasInstalled(db: Db, accountId: string, packId: string): Promise<boolean> {
  const r = await db
    .selectFrom('pack_installation')
    .select('id')
    .where('pack_id', '=', packId)
    .where((e) => e.or([e('owner_account_id', '=', accountId), e('created_by', '=', accountId)]))
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}
