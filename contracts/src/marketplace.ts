import { z } from 'zod';
import { Id, Text, Visibility } from './common.js';
import { endpoint } from './http.js';
import { InstallationView, ScopeView } from './packs.js';

const tags = ['marketplace'];
const studio = ['creator studio'];
const ops = ['marketplace operators'];

export const PRICE_MODELS = ['free', 'one_off', 'monthly'] as const;
export const PriceModel = z.enum(PRICE_MODELS);
export const CURRENCIES = ['USD', 'ILS'] as const;
export const Currency = z.enum(CURRENCIES);
export const SORTS = ['popular', 'new', 'top_rated'] as const;
export const UNINSTALL_REASONS = ['not_useful', 'too_expensive', 'privacy', 'broken', 'replaced', 'other'] as const;
export const UninstallReason = z.enum(UNINSTALL_REASONS);
const PackId = z.string().max(64);
const PackParams = z.strictObject({ packId: PackId });

export const Price = z.object({ model: PriceModel, usd: z.number().int(), ils: z.number().int() });
export type Price = z.infer<typeof Price>;

export const ListingSummary = z.object({
  packId: z.string(),
  title: z.string(),
  tagline: z.string(),
  icon: z.string(),
  persona: z.string(),
  categories: z.array(z.string()),
  creator: z.string(),
  price: Price,
  rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
  installs: z.number().int(),
  version: z.string(),
  listedAt: z.string().nullable(),
});
export type ListingSummary = z.infer<typeof ListingSummary>;

export const ListingQuery = z.strictObject({
  q: Text(100).optional(),
  persona: z.string().max(40).optional(),
  category: z.string().max(40).optional(),
  price: z.enum(['free', 'paid']).optional(),
  minRating: z.coerce.number().int().min(1).max(5).optional(),
  sort: z.enum(SORTS).default('popular'),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  cursor: z
    .string()
    .regex(/^\d{1,6}$/, 'is not a cursor from this list')
    .optional(),
});
export const listListings = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/listings',
  summary: 'Browse and search the marketplace (filters: persona, category, price, rating; sorts: popular, new, top rated)',
  tags,
  query: ListingQuery,
  response: z.object({ items: z.array(ListingSummary), nextCursor: z.string().nullable(), categories: z.array(z.string()) }),
});

export const ReviewView = z.object({
  id: Id,
  rating: z.number().int(),
  body: z.string(),
  author: z.string(),
  mine: z.boolean(),
  reply: z.string().nullable(),
  repliedAt: z.string().nullable(),
  hidden: z.boolean(),
  createdAt: z.string(),
});
export type ReviewView = z.infer<typeof ReviewView>;

export const VersionView = z.object({ version: z.string(), changelog: z.string(), publishedAt: z.string() });

export const ListingDetail = ListingSummary.extend({
  /** The description rendered from Markdown and sanitised (no script, no javascript: links). */
  descriptionHtml: z.string(),
  screenshots: z.array(z.object({ id: Id, caption: z.string(), url: z.string() })),
  versions: z.array(VersionView),
  scopes: z.array(ScopeView),
  agents: z.array(z.object({ key: z.string(), name: z.string(), description: z.string() })),
  settingsSchema: z.record(z.string(), z.unknown()),
  status: z.enum(['draft', 'listed', 'unlisted']),
  reviews: z.array(ReviewView),
  /** What the caller's space has: a live purchase, an installation, and whether they may review it. */
  mine: z.object({
    purchase: z.object({ id: Id, status: z.string(), periodEnd: z.string().nullable() }).nullable(),
    installationId: Id.nullable(),
    mayInstall: z.boolean(),
    mayReview: z.boolean(),
    isCreator: z.boolean(),
  }),
});
export type ListingDetail = z.infer<typeof ListingDetail>;

export const getListing = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/listings/:packId',
  summary: 'A listing: description, screenshots, changelog, what it asks for, reviews',
  tags,
  params: PackParams,
  response: ListingDetail,
});
export const getScreenshot = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/screenshots/:screenshotId',
  summary: 'A listing screenshot (PNG, JPEG or WebP)',
  tags,
  params: z.strictObject({ screenshotId: Id }),
  response: z.string().describe('image'),
});

export const PurchaseView = z.object({
  id: Id,
  packId: z.string(),
  title: z.string(),
  priceModel: z.enum(['one_off', 'monthly']),
  currency: Currency,
  amount: z.number().int(),
  status: z.enum(['pending', 'active', 'canceled', 'refunded', 'lapsed']),
  periodEnd: z.string().nullable(),
  createdAt: z.string(),
});
export type PurchaseView = z.infer<typeof PurchaseView>;

export const PurchaseResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('active'), purchase: PurchaseView }),
  z.object({
    status: z.literal('invoice_open'),
    purchase: PurchaseView,
    invoice: z.object({ id: Id, number: z.string(), total: z.number().int(), currency: Currency }),
  }),
  z.object({ status: z.literal('redirect'), purchase: PurchaseView, url: z.string() }),
]);
export type PurchaseResult = z.infer<typeof PurchaseResult>;

export const purchaseListing = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/listings/:packId/purchase',
  summary: 'Buy a paid pack through the payment provider (an invoice offline, or Stripe Checkout)',
  tags,
  params: PackParams,
  body: z.strictObject({
    currency: Currency,
    country: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
  }),
  response: PurchaseResult,
});
export const MarketplaceInstallInput = z.strictObject({
  visibility: Visibility.optional(),
  settings: z.record(z.string(), z.unknown()).default({}),
  grantedScopes: z.array(z.string().max(40)).max(40),
  enableAgents: z.array(z.string().max(64)).max(20).optional(),
});
export const installListing = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/listings/:packId/install',
  summary: 'Install a free pack, or a paid one you bought (its signature is verified first)',
  tags,
  params: PackParams,
  body: MarketplaceInstallInput,
  response: InstallationView,
  status: 201,
});
export const listPurchases = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/purchases',
  summary: 'What the active space bought',
  tags,
  response: z.object({ items: z.array(PurchaseView) }),
});
export const cancelPurchase = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/purchases/:purchaseId/cancel',
  summary: 'Stop a monthly pack at the end of the paid month',
  tags,
  params: z.strictObject({ purchaseId: Id }),
  response: PurchaseView,
});

export const listReviews = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/listings/:packId/reviews',
  summary: 'Ratings and reviews of a pack, newest first',
  tags,
  params: PackParams,
  query: z.strictObject({
    cursor: z
      .string()
      .regex(/^\d{1,6}$/)
      .optional(),
  }),
  response: z.object({ items: z.array(ReviewView), nextCursor: z.string().nullable() }),
});
export const putReview = endpoint({
  method: 'PUT',
  path: '/api/v1/marketplace/listings/:packId/review',
  summary: 'Rate and review a pack you installed (one review per person; sending again edits it)',
  tags,
  params: PackParams,
  body: z.strictObject({ rating: z.number().int().min(1).max(5), body: Text(2000).default('') }),
  response: ReviewView,
});
export const replyToReview = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/reviews/:reviewId/reply',
  summary: "The pack's creator replies to a review",
  tags,
  params: z.strictObject({ reviewId: Id }),
  body: z.strictObject({ reply: Text(2000).pipe(z.string().min(1)) }),
  response: ReviewView,
});
export const sendUninstallFeedback = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/uninstall-feedback',
  summary: 'Why you uninstalled a pack (optional; creators see only totals from 5 spaces or more)',
  tags,
  body: z.strictObject({ installationId: Id, reason: UninstallReason }),
  response: z.object({ ok: z.literal(true) }),
});

export const UpdateOffer = z.object({
  installationId: Id,
  packId: z.string(),
  currentVersion: z.string(),
  latestVersion: z.string(),
  latestVersionId: Id,
  /** Everything the new version asks for: consenting means granting exactly these. */
  scopes: z.array(ScopeView),
  addedScopes: z.array(ScopeView),
  removedScopes: z.array(ScopeView),
  changelog: z.array(VersionView),
  /** True when the update asks for scopes you have not granted: it waits for your consent, the old version keeps running. */
  needsConsent: z.boolean(),
});
export type UpdateOffer = z.infer<typeof UpdateOffer>;
const InstallationParams = z.strictObject({ installationId: Id });
export const getUpdateOffer = endpoint({
  method: 'GET',
  path: '/api/v1/marketplace/installations/:installationId/update',
  summary: 'The newer version of an installed pack, and the scopes it adds (null when up to date)',
  tags,
  params: InstallationParams,
  response: z.object({ offer: UpdateOffer.nullable() }),
});
export const applyUpdate = endpoint({
  method: 'POST',
  path: '/api/v1/marketplace/installations/:installationId/update',
  summary: 'Update an installed pack after consenting to exactly the scopes the new version asks for',
  tags,
  params: InstallationParams,
  body: z.strictObject({ versionId: Id, grantedScopes: z.array(z.string().max(40)).max(40) }),
  response: InstallationView,
});

// ---------------------------------------------------------------- creator studio

export const PAYOUT_METHODS = ['bank', 'paypal', 'other'] as const;
export const CreatorProfileView = z.object({
  displayName: z.string(),
  bio: z.string(),
  payoutMethod: z.enum(PAYOUT_METHODS).nullable(),
  /** Payout details are stored encrypted and never shown again; this says whether they are set. */
  payoutDetailsSet: z.boolean(),
  /** The Creator add-on is active on your personal space (needed to publish). */
  canPublish: z.boolean(),
});
export type CreatorProfileView = z.infer<typeof CreatorProfileView>;
export const getCreatorProfile = endpoint({
  method: 'GET',
  path: '/api/v1/creator/profile',
  summary: 'Your creator profile (null until you make one)',
  tags: studio,
  response: z.object({ profile: CreatorProfileView.nullable(), canPublish: z.boolean() }),
});
export const putCreatorProfile = endpoint({
  method: 'PUT',
  path: '/api/v1/creator/profile',
  summary: 'Make or change your creator profile (needs the Creator add-on)',
  tags: studio,
  body: z.strictObject({
    displayName: Text(80).pipe(z.string().min(2)),
    bio: Text(1000).default(''),
    payoutMethod: z.enum(PAYOUT_METHODS).nullable().optional(),
    /** IBAN, PayPal address, ...: encrypted with the instance key, shown only to operators in the payout report. */
    payoutDetails: Text(500).optional(),
  }),
  response: CreatorProfileView,
});

export const CheckResult = z.object({ check: z.string(), ok: z.boolean(), message: z.string() });
export const SubmissionView = z.object({
  id: Id,
  packId: z.string(),
  version: z.string(),
  status: z.enum(['pending', 'approved', 'rejected']),
  checks: z.array(CheckResult),
  addedScopes: z.array(z.string()),
  scopes: z.array(z.string()),
  reasons: z.string().nullable(),
  autoApproved: z.boolean(),
  changelog: z.string(),
  bundleSha256: z.string(),
  createdAt: z.string(),
  reviewedAt: z.string().nullable(),
});
export type SubmissionView = z.infer<typeof SubmissionView>;
export const submitPack = endpoint({
  method: 'POST',
  path: '/api/v1/creator/submissions',
  summary: 'Publish a version: upload its bundle (base64 of the .tgz from `csme pack build`); it is checked, then reviewed',
  tags: studio,
  body: z.strictObject({
    bundle: z
      .string()
      .max(3_000_000)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    changelog: Text(4000).default(''),
  }),
  response: SubmissionView,
  status: 201,
});
export const listSubmissions = endpoint({
  method: 'GET',
  path: '/api/v1/creator/submissions',
  summary: 'Your submitted versions and their review status',
  tags: studio,
  response: z.object({ items: z.array(SubmissionView) }),
});

export const StudioPack = z.object({
  packId: z.string(),
  title: z.string(),
  icon: z.string(),
  status: z.enum(['draft', 'listed', 'unlisted']),
  latestVersion: z.string().nullable(),
  pending: z.object({ version: z.string(), status: z.string() }).nullable(),
  price: Price,
  tagline: z.string(),
  descriptionMd: z.string(),
  categories: z.array(z.string()),
  screenshots: z.array(z.object({ id: Id, caption: z.string(), url: z.string() })),
  installs: z.number().int(),
  rating: z.object({ average: z.number().nullable(), count: z.number().int() }),
});
export type StudioPack = z.infer<typeof StudioPack>;
export const listStudioPacks = endpoint({
  method: 'GET',
  path: '/api/v1/creator/packs',
  summary: 'Your packs: listing, versions, review status',
  tags: studio,
  response: z.object({ items: z.array(StudioPack) }),
});
export const ListingInput = z.strictObject({
  title: Text(80).pipe(z.string().min(2)),
  tagline: Text(160).default(''),
  descriptionMd: Text(20_000).default(''),
  categories: z
    .array(Text(40).pipe(z.string().min(1)))
    .max(8)
    .default([]),
  priceModel: PriceModel,
  /** Minor units (cents, agorot); both 0 for free, both at least 100 otherwise. */
  priceUsd: z.number().int().min(0).max(100_000_00).default(0),
  priceIls: z.number().int().min(0).max(400_000_00).default(0),
});
export type ListingInput = z.infer<typeof ListingInput>;
export const updateListing = endpoint({
  method: 'PUT',
  path: '/api/v1/creator/packs/:packId/listing',
  summary: 'Change the listing: title, description (Markdown), categories, price',
  tags: studio,
  params: PackParams,
  body: ListingInput,
  response: StudioPack,
});
export const addScreenshot = endpoint({
  method: 'POST',
  path: '/api/v1/creator/packs/:packId/screenshots',
  summary: 'Add a screenshot (PNG, JPEG or WebP, up to 1 MB, base64)',
  tags: studio,
  params: PackParams,
  body: z.strictObject({
    contentType: z.enum(['image/png', 'image/jpeg', 'image/webp']),
    data: z
      .string()
      .max(1_400_000)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    caption: Text(200).default(''),
  }),
  response: StudioPack,
  status: 201,
});
export const deleteScreenshot = endpoint({
  method: 'DELETE',
  path: '/api/v1/creator/packs/:packId/screenshots/:screenshotId',
  summary: 'Remove a screenshot',
  tags: studio,
  params: z.strictObject({ packId: PackId, screenshotId: Id }),
  response: StudioPack,
});
export const setListingStatus = endpoint({
  method: 'POST',
  path: '/api/v1/creator/packs/:packId/status',
  summary: 'Unpublish (people who have it keep it) or list again',
  tags: studio,
  params: PackParams,
  body: z.strictObject({ status: z.enum(['listed', 'unlisted']) }),
  response: StudioPack,
});

const DayPoint = z.object({ day: z.string() });
export const Analytics = z.object({
  packId: z.string(),
  from: z.string(),
  to: z.string(),
  /** No behaviour figure is drawn from fewer spaces than this. */
  minSpaces: z.number().int(),
  totals: z.object({
    installs: z.number().int(),
    activeInstalls: z.number().int(),
    uninstalls: z.number().int(),
    runs: z.number().int().nullable(),
    successRate: z.number().nullable(),
    approvalRate: z.number().nullable(),
    ratingAverage: z.number().nullable(),
    ratingCount: z.number().int(),
  }),
  installsByDay: z.array(DayPoint.extend({ installs: z.number().int(), uninstalls: z.number().int() })),
  /** Null where the day's runs came from fewer than `minSpaces` spaces. */
  runsByDay: z.array(DayPoint.extend({ runs: z.number().int().nullable(), successRate: z.number().nullable() })),
  revenueByDay: z.array(
    DayPoint.extend({ currency: Currency, gross: z.number().int(), creator: z.number().int(), refunds: z.number().int() }),
  ),
  payoutsByDay: z.array(DayPoint.extend({ currency: Currency, amount: z.number().int() })),
  /** Reasons given by fewer than `minSpaces` spaces are folded into `withheld`. */
  uninstallReasons: z.array(z.object({ reason: UninstallReason, count: z.number().int() })),
  uninstallReasonsWithheld: z.number().int(),
  ratingsByMonth: z.array(z.object({ month: z.string(), average: z.number(), count: z.number().int() })),
});
export type Analytics = z.infer<typeof Analytics>;
const AnalyticsQuery = z.strictObject({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});
export const getAnalytics = endpoint({
  method: 'GET',
  path: '/api/v1/creator/packs/:packId/analytics',
  summary: 'How a pack does: installs, runs, success and approval rates, revenue, uninstall reasons, ratings',
  tags: studio,
  params: PackParams,
  query: AnalyticsQuery,
  response: Analytics,
});
export const getAnalyticsCsv = endpoint({
  method: 'GET',
  path: '/api/v1/creator/packs/:packId/analytics.csv',
  summary: 'The same figures by day, as CSV',
  tags: studio,
  params: PackParams,
  query: AnalyticsQuery,
  response: z.string().describe('text/csv'),
});

export const LedgerEntryView = z.object({
  id: Id,
  kind: z.enum(['sale', 'refund']),
  packId: z.string(),
  currency: Currency,
  gross: z.number().int(),
  tax: z.number().int(),
  creator: z.number().int(),
  platform: z.number().int(),
  occurredAt: z.string(),
  payoutPeriod: z.string().nullable(),
});
export type LedgerEntryView = z.infer<typeof LedgerEntryView>;
export const PayoutView = z.object({
  id: Id,
  period: z.string(),
  currency: Currency,
  amount: z.number().int(),
  entryCount: z.number().int(),
  status: z.enum(['pending', 'paid']),
  paidAt: z.string().nullable(),
  reference: z.string().nullable(),
});
export type PayoutView = z.infer<typeof PayoutView>;
export const getEarnings = endpoint({
  method: 'GET',
  path: '/api/v1/creator/earnings',
  summary: 'Your sales and refunds (exact, never who bought), balance not yet paid out, and payouts',
  tags: studio,
  response: z.object({
    entries: z.array(LedgerEntryView),
    totals: z.array(
      z.object({
        currency: Currency,
        gross: z.number().int(),
        creator: z.number().int(),
        unpaid: z.number().int(),
        paid: z.number().int(),
      }),
    ),
    payouts: z.array(PayoutView),
  }),
});

// ---------------------------------------------------------------- operators

export const AdminSubmissionView = SubmissionView.extend({
  creator: z.string().nullable(),
  origin: z.enum(['publish', 'import']),
  title: z.string(),
  description: z.string(),
  files: z.array(z.object({ path: z.string(), bytes: z.number().int() })),
  agents: z.array(z.object({ key: z.string(), name: z.string(), steps: z.array(z.string()) })),
  previousVersion: z.string().nullable(),
});
export type AdminSubmissionView = z.infer<typeof AdminSubmissionView>;
export const adminListSubmissions = endpoint({
  method: 'GET',
  path: '/api/v1/admin/marketplace/submissions',
  summary: 'The review queue (pending first) and recent decisions',
  tags: ops,
  query: z.strictObject({ status: z.enum(['pending', 'approved', 'rejected']).optional() }),
  response: z.object({ items: z.array(AdminSubmissionView) }),
});
const SubmissionParams = z.strictObject({ submissionId: Id });
export const adminApproveSubmission = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/submissions/:submissionId/approve',
  summary: 'Approve: the bundle is signed and the version is published',
  tags: ops,
  params: SubmissionParams,
  response: AdminSubmissionView,
});
export const adminRejectSubmission = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/submissions/:submissionId/reject',
  summary: 'Reject with reasons the creator sees',
  tags: ops,
  params: SubmissionParams,
  body: z.strictObject({ reasons: Text(2000).pipe(z.string().min(3, 'say what the creator should change')) }),
  response: AdminSubmissionView,
});
export const adminHideReview = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/reviews/:reviewId/hide',
  summary: 'Hide an abusive review (or show it again)',
  tags: ops,
  params: z.strictObject({ reviewId: Id }),
  body: z.strictObject({ hidden: z.boolean(), reason: Text(300).default('') }),
  response: ReviewView,
});
export const AdminSaleView = z.object({
  id: Id,
  packId: z.string(),
  currency: Currency,
  gross: z.number().int(),
  tax: z.number().int(),
  creator: z.number().int(),
  platform: z.number().int(),
  refunded: z.number().int(),
  provider: z.string(),
  invoiceId: Id.nullable(),
  occurredAt: z.string(),
  refunds: z.array(z.object({ id: Id, gross: z.number().int(), reason: z.string().nullable(), occurredAt: z.string() })),
});
export type AdminSaleView = z.infer<typeof AdminSaleView>;
export const adminListSales = endpoint({
  method: 'GET',
  path: '/api/v1/admin/marketplace/sales',
  summary: 'Sales, newest first, with what was refunded',
  tags: ops,
  query: z.strictObject({ packId: PackId.optional() }),
  response: z.object({ items: z.array(AdminSaleView) }),
});
export const adminRefund = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/ledger/:entryId/refund',
  summary: 'Refund a sale in full or in part (minor units of what was paid); both shares are reversed in proportion',
  tags: ops,
  params: z.strictObject({ entryId: Id }),
  body: z.strictObject({ amount: z.number().int().positive().optional(), reason: Text(300).default('') }),
  response: AdminSaleView,
});
export const adminRunPayouts = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/payouts/run',
  summary: "Compute a month's payouts per creator from the ledger (again: nothing is paid twice)",
  tags: ops,
  body: z.strictObject({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2026-03') }),
  response: z.object({ items: z.array(PayoutView.extend({ creator: z.string() })) }),
});
export const adminListPayouts = endpoint({
  method: 'GET',
  path: '/api/v1/admin/marketplace/payouts',
  summary: 'Payouts of a month',
  tags: ops,
  query: z.strictObject({
    period: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/)
      .optional(),
  }),
  response: z.object({ items: z.array(PayoutView.extend({ creator: z.string() })) }),
});
export const adminPayoutsCsv = endpoint({
  method: 'GET',
  path: '/api/v1/admin/marketplace/payouts.csv',
  summary: "A month's payout report as CSV (with the creators' payout details)",
  tags: ops,
  query: z.strictObject({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month such as 2026-03') }),
  response: z.string().describe('text/csv'),
});
export const adminMarkPayoutPaid = endpoint({
  method: 'POST',
  path: '/api/v1/admin/marketplace/payouts/:payoutId/paid',
  summary: 'Mark a payout paid (with the transfer reference)',
  tags: ops,
  params: z.strictObject({ payoutId: Id }),
  body: z.strictObject({ reference: Text(200).default('') }),
  response: PayoutView.extend({ creator: z.string() }),
});
