import type {
  AdminSaleView,
  AdminSubmissionView,
  Analytics,
  CreatorProfileView,
  ListingDetail,
  ListingInput,
  ListingSummary,
  PurchaseResult,
  PurchaseView,
  ReviewView,
  StudioPack,
  SubmissionView,
  UpdateOffer,
} from '@csme/contracts/marketplace';
import type { PackManifest } from '@csme/sdk';
import { sql } from 'kysely';
import { type ActorCtx, type Ctx, inSpace } from '#core/ctx.js';
import { type Db, inSystemTransaction, inTenant } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { isUuid, newId } from '#core/ids.js';
import { addJob } from '#core/jobs.js';
import type { PaidSale } from '#core/module.js';
import { logActivity } from '#modules/activity/index.js';
import { checkoutSale, refundSale } from '#modules/billing/index.js';
import { notify } from '#modules/notifications/index.js';
import {
  bundleHash,
  findInstallation,
  findPackVersion,
  getInstallation,
  installPack,
  listInstallationsBehind,
  moveInstallationToVersion,
  packFromFiles,
  pauseInstallationsOfPack,
  publishPackVersion,
  scopeDiff,
  scopeView,
  signPackBundle,
  skillProblems,
  unpackBundle,
  verifyPackSignature,
} from '#modules/packs/index.js';
import { getEntitlements } from '#modules/plans/index.js';
import { denylistSetting, reviewSetting } from './marketplace.config.js';
import { offerUpdateJob } from './marketplace.jobs.js';
import {
  csvLine,
  denylistFindings,
  escapeFindings,
  imageTypeOf,
  isNewerVersion,
  MIN_SPACES,
  monthRange,
  previousMonth,
  refundSplit,
  renderMarkdown,
  saleSplit,
  secretFindings,
  thresholded,
} from './marketplace.policy.js';
import { presentPayout, presentPurchase, presentReview, presentSubmission } from './marketplace.presenter.js';
import {
  findLatestApproved,
  findLedgerEntry,
  findListing,
  findLivePurchase,
  findPersonalSpaceId,
  findProfile,
  findPurchase,
  findReview,
  findScreenshot,
  findSubmission,
  hasInstalled,
  insertLedgerEntry,
  insertListing,
  insertPurchase,
  insertSubmission,
  type LedgerRow,
  type ListingRow,
  listApprovedVersions,
  listCategories,
  listEntriesOfCreator,
  listingStats,
  listLapsingPurchases,
  listListingsOf,
  listLiveSubmissions,
  listPayouts,
  listPurchasesOf,
  listRefundsOf,
  listReviewsOf,
  listSales,
  listScreenshots,
  listSubmissionsForReview,
  listSubmissionsOf,
  lockPurchaseById,
  lockSubmission,
  type SubmissionRow,
  searchListings,
  unpaidBalances,
  updateListingRow,
  updatePurchase,
  updateSubmission,
  upsertProfile,
} from './marketplace.repository.js';

const MODULE = 'marketplace';
const PAYOUT_PURPOSE = 'marketplace.payout-details';
const MAX_SCREENSHOTS = 8;
const MAX_SCREENSHOT_BYTES = 1024 * 1024;
/** What the review pipeline asks of code steps beyond the manifest's own bounds. */
const MAX_CODE_SECONDS = 120;
const MAX_CODE_FILE_BYTES = 256 * 1024;
const MONTH_MS = 30 * 86_400_000;

// ---------------------------------------------------------------- creators

async function personalSpaceOf(ctx: ActorCtx): Promise<string> {
  if (ctx.actor.spaceKind === 'personal') return ctx.actor.spaceId;
  const id = await findPersonalSpaceId(ctx.deps.db, ctx.actor.accountId);
  if (!id) throw new AppError('internal', 'This account has no personal space.');
  return id;
}

/** The Creator add-on of the person's personal space unlocks publishing. */
async function canPublish(ctx: ActorCtx): Promise<boolean> {
  const ent = await getEntitlements(ctx.deps.db, await personalSpaceOf(ctx), ctx.now());
  return ent.limits.publish === true;
}

async function requirePublish(ctx: ActorCtx): Promise<void> {
  if (await canPublish(ctx)) return;
  throw new AppError('quota_exceeded', 'Publishing packs needs the Creator add-on on your personal space.', {
    limit: 'publish',
    offers: [{ kind: 'upgrade', planId: 'creator', label: 'Add the Creator add-on', url: '/plans' }],
  });
}

async function denylist(ctx: Ctx) {
  return ctx.deps.settings.get(denylistSetting);
}

async function assertClean(ctx: Ctx, fields: Record<string, string>): Promise<void> {
  const d = await denylist(ctx);
  const issues = Object.entries(fields).flatMap(([path, text]) =>
    denylistFindings(text, d.words, d.domains).map((m) => ({ path, message: m })),
  );
  if (issues.length) throw new AppError('invalid_input', `${issues[0]!.path}: ${issues[0]!.message}`, { issues });
}

function presentProfile(p: NonNullable<Awaited<ReturnType<typeof findProfile>>>, publish: boolean): CreatorProfileView {
  return {
    displayName: p.display_name,
    bio: p.bio,
    payoutMethod: p.payout_method as CreatorProfileView['payoutMethod'],
    payoutDetailsSet: p.payout_details !== null,
    canPublish: publish,
  };
}

export async function getCreatorProfile(ctx: ActorCtx) {
  const publish = await canPublish(ctx);
  const p = await findProfile(ctx.deps.db, ctx.actor.accountId);
  return { profile: p ? presentProfile(p, publish) : null, canPublish: publish };
}

export async function putCreatorProfile(
  ctx: ActorCtx,
  input: { displayName: string; bio: string; payoutMethod?: 'bank' | 'paypal' | 'other' | null; payoutDetails?: string },
): Promise<CreatorProfileView> {
  await requirePublish(ctx);
  await assertClean(ctx, { 'body.displayName': input.displayName, 'body.bio': input.bio });
  const now = ctx.now();
  const details =
    input.payoutDetails !== undefined && input.payoutDetails !== ''
      ? await ctx.deps.vault.encryptString({ spaceId: null, purpose: PAYOUT_PURPOSE, recordId: ctx.actor.accountId }, input.payoutDetails)
      : undefined;
  const set = {
    display_name: input.displayName,
    bio: input.bio,
    ...(input.payoutMethod !== undefined ? { payout_method: input.payoutMethod } : {}),
    ...(details ? { payout_details: details } : {}),
    updated_at: now,
  };
  await upsertProfile(ctx.deps.db, { account_id: ctx.actor.accountId, ...set, created_at: now }, set);
  const p = await findProfile(ctx.deps.db, ctx.actor.accountId);
  return presentProfile(p!, true);
}

/** The payout details of a creator, for the operator's payout report only. */
async function payoutDetailsOf(ctx: Ctx, accountId: string, enc: Buffer | null): Promise<string> {
  if (!enc) return '';
  return ctx.deps.vault.decryptString({ spaceId: null, purpose: PAYOUT_PURPOSE, recordId: accountId }, enc);
}

// ---------------------------------------------------------------- the publishing pipeline

interface Check {
  check: string;
  ok: boolean;
  message: string;
}

/**
 * The automated checks of a bundle, every one reported: manifest schema, skills covered by scopes,
 * sandbox limits, safe code (no host access), no secrets, listing text against the denylist. Size
 * limits, safe paths and UTF-8 are enforced while unpacking (before any of this).
 */
async function checkBundle(ctx: Ctx, files: Record<string, string>, changelog: string) {
  const pack = packFromFiles(files);
  const m = pack.manifest;
  const checks: Check[] = [{ check: 'manifest', ok: true, message: `pack.json is valid: ${m.id}@${m.version}` }];
  const skills = skillProblems(m, ctx.deps.modules);
  checks.push({
    check: 'scopes',
    ok: skills.length === 0,
    message: skills.length
      ? skills.map((p) => `${p.path}: ${p.message}`).join('; ')
      : `every step's skills are covered by: ${m.scopes.join(', ') || 'no scopes'}`,
  });
  const limits: string[] = [];
  for (const a of m.agents) {
    if (a.steps.some((s) => 'code' in s) && a.budget.maxSeconds > MAX_CODE_SECONDS)
      limits.push(`agent ${a.id}: budget.maxSeconds is ${a.budget.maxSeconds}; code steps may use at most ${MAX_CODE_SECONDS}`);
  }
  for (const [path, text] of Object.entries(files))
    if (path.endsWith('.js') && Buffer.byteLength(text) > MAX_CODE_FILE_BYTES)
      limits.push(`${path} is larger than ${MAX_CODE_FILE_BYTES / 1024} KB`);
  checks.push({
    check: 'sandbox_limits',
    ok: limits.length === 0,
    message: limits.join('; ') || 'code steps stay within the sandbox limits',
  });
  const escapes = escapeFindings(files);
  checks.push({
    check: 'sandbox_escape',
    ok: escapes.length === 0,
    message: escapes.join('; ') || 'code steps only use what the sandbox offers',
  });
  const secrets = secretFindings(files);
  checks.push({ check: 'secrets', ok: secrets.length === 0, message: secrets.join('; ') || 'no keys or tokens found' });
  const d = await denylist(ctx);
  const text = [m.name, m.description, ...m.categories, ...m.agents.flatMap((a) => [a.name, a.description]), changelog].join('\n');
  const words = denylistFindings(text, d.words, d.domains);
  checks.push({
    check: 'content',
    ok: words.length === 0,
    message: words.map((w) => `the pack ${w}`).join('; ') || 'names and descriptions pass the denylist',
  });
  return { pack, checks };
}

function decodeBundle(b64: string): Buffer {
  const buf = Buffer.from(b64, 'base64');
  if (!buf.length) throw new AppError('invalid_input', 'body.bundle: is empty');
  return buf;
}

/**
 * Publishes a version (web or `csme pack publish`): unpacked defensively, every automated check run
 * (a failing one refuses it with every reason), then queued for an operator, or approved at once when
 * it is an update asking for no new scopes and the operator setting allows that.
 */
export async function submitPack(ctx: ActorCtx, input: { bundle: string; changelog: string }): Promise<SubmissionView> {
  await requirePublish(ctx);
  const profile = await findProfile(ctx.deps.db, ctx.actor.accountId);
  if (!profile) throw new AppError('conflict', 'Make your creator profile first (Creator studio → Profile).', { reason: 'no_profile' });
  const files = await unpackBundle(decodeBundle(input.bundle));
  const { pack, checks } = await checkBundle(ctx, files, input.changelog);
  const m = pack.manifest;
  const failed = checks.filter((c) => !c.ok);
  if (failed.length)
    throw new AppError('invalid_input', `The pack was refused: ${failed.map((c) => c.message).join('; ')}`.slice(0, 2000), {
      reason: 'checks_failed',
      checks,
    });
  const id = newId();
  const now = ctx.now();
  const result = await inSystemTransaction(ctx.deps.db, async (tx) => {
    // One publish of a pack id at a time decides who owns it and which version comes next.
    await sqlLock(tx, `marketplace:pack:${m.id}`);
    const listing = await findListing(tx, m.id);
    if (listing && listing.creator_account_id !== ctx.actor.accountId)
      throw new AppError('conflict', `The pack id "${m.id}" belongs to another creator; choose another id.`, { reason: 'pack_id_taken' });
    const builtin = await tx
      .selectFrom('pack_version')
      .select('id')
      .where('pack_id', '=', m.id)
      .where('source', '=', 'builtin')
      .executeTakeFirst();
    if (builtin) throw new AppError('conflict', `"${m.id}" is a built-in pack id; choose another id.`, { reason: 'pack_id_taken' });
    const live = await listLiveSubmissions(tx, m.id);
    if (live.some((s) => s.version === m.version))
      throw new AppError('conflict', `Version ${m.version} of ${m.id} was already submitted; raise the version.`, {
        reason: 'duplicate_version',
      });
    const last =
      live
        .map((s) => s.version)
        .sort(semverCompare)
        .at(-1) ?? null;
    if (!isNewerVersion(m.version, last))
      throw new AppError('invalid_input', `The version must be greater than ${last}, the last one submitted (got ${m.version}).`, {
        reason: 'version_not_greater',
      });
    if (live.some((s) => s.status === 'pending'))
      throw new AppError('conflict', 'A version of this pack is still waiting for review; wait for it (or its rejection) first.', {
        reason: 'pending_review',
      });
    const approved = await findLatestApproved(tx, m.id);
    const addedScopes = approved ? scopeDiff((approved.manifest as PackManifest).scopes, m.scopes).added : [...m.scopes];
    await insertSubmission(tx, {
      id,
      pack_id: m.id,
      version: m.version,
      creator_account_id: ctx.actor.accountId,
      origin: 'publish',
      manifest: JSON.stringify(m),
      files: JSON.stringify(files),
      bundle_sha256: pack.hash,
      changelog: input.changelog,
      checks: JSON.stringify(checks),
      added_scopes: addedScopes,
      created_at: now,
    });
    if (!listing)
      await insertListing(tx, {
        pack_id: m.id,
        creator_account_id: ctx.actor.accountId,
        title: m.name,
        tagline: m.description.slice(0, 160),
        description_md: m.description,
        persona: m.persona,
        categories: m.categories,
        created_at: now,
        updated_at: now,
      });
    const auto = approved !== undefined && addedScopes.length === 0 && (await ctx.deps.settings.get(reviewSetting)).autoApproveUpdates;
    if (auto) await approve({ ...ctx, db: tx }, id, null);
    return auto;
  });
  ctx.log.info({ packId: m.id, version: m.version, autoApproved: result }, 'pack version submitted');
  return presentSubmission((await findSubmission(ctx.deps.db, id))!);
}

async function sqlLock(db: Db, key: string) {
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(db);
}

function semverCompare(a: string, b: string): number {
  return isNewerVersion(a, b) ? 1 : isNewerVersion(b, a) ? -1 : 0;
}

export async function listSubmissions(ctx: ActorCtx): Promise<SubmissionView[]> {
  return (await listSubmissionsOf(ctx.deps.db, ctx.actor.accountId)).map(presentSubmission);
}

/**
 * Approves a pending version (an operator, or null for auto-approval): the bundle's hash is signed
 * with the instance's pack-signing key and the version enters the catalog; a first version lists the
 * pack; installations of older versions are offered the update (a job).
 */
async function approve(ctx: Ctx, submissionId: string, operatorId: string | null): Promise<void> {
  const s = await lockSubmission(ctx.db, submissionId);
  if (!s) throw new AppError('not_found', 'That submission was not found.');
  if (s.status !== 'pending') throw new AppError('conflict', `This version is ${s.status} already.`);
  const now = ctx.now();
  const manifest = s.manifest as PackManifest;
  const files = s.files as Record<string, string>;
  if (bundleHash(files) !== s.bundle_sha256) throw new AppError('conflict', 'The stored bundle no longer matches its hash; reject it.');
  const signature = signPackBundle(ctx.deps.keys.packSigning.privateKeyPem, s.pack_id, s.version, s.bundle_sha256);
  const versionId = await publishPackVersion(ctx.db, {
    packId: s.pack_id,
    version: s.version,
    manifest,
    files,
    bundleSha256: s.bundle_sha256,
    signature,
    source: s.origin === 'import' ? 'import' : 'marketplace',
    publisherAccountId: s.creator_account_id,
    now,
  });
  await updateSubmission(ctx.db, s.id, {
    status: 'approved',
    reviewed_by: operatorId,
    reviewed_at: now,
    auto_approved: operatorId === null,
    pack_version_id: versionId,
  });
  const listing = await findListing(ctx.db, s.pack_id);
  if (listing?.status === 'draft') await updateListingRow(ctx.db, s.pack_id, { status: 'listed', first_listed_at: now, updated_at: now });
  await addJob(ctx.db, offerUpdateJob, { packId: s.pack_id, versionId }, { jobKey: `marketplace-offer-update:${versionId}` });
  if (s.creator_account_id)
    await tellCreator(
      ctx,
      s.creator_account_id,
      `${manifest.name} ${s.version} is published`,
      'It passed review and is signed; people can install it now.',
    );
}

async function tellCreator(ctx: Ctx, accountId: string, title: string, body: string): Promise<void> {
  const spaceId = await findPersonalSpaceId(ctx.db, accountId);
  if (spaceId) await notify(ctx, { spaceId, accountId, kind: 'marketplace.review', title, body, url: '/studio', email: true });
}

export async function approveSubmission(ctx: ActorCtx, id: string): Promise<AdminSubmissionView> {
  await inSystemTransaction(ctx.deps.db, (tx) => approve({ ...ctx, db: tx }, id, ctx.actor.accountId));
  return adminView(ctx, id);
}

export async function rejectSubmission(ctx: ActorCtx, id: string, reasons: string): Promise<AdminSubmissionView> {
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const s = await lockSubmission(tx, id);
    if (!s) throw new AppError('not_found', 'That submission was not found.');
    if (s.status !== 'pending') throw new AppError('conflict', `This version is ${s.status} already.`);
    await updateSubmission(tx, id, { status: 'rejected', reasons, reviewed_by: ctx.actor.accountId, reviewed_at: ctx.now() });
    if (s.creator_account_id)
      await tellCreator(
        { ...ctx, db: tx },
        s.creator_account_id,
        `${(s.manifest as PackManifest).name} ${s.version} was not approved`,
        reasons,
      );
  });
  return adminView(ctx, id);
}

async function adminView(ctx: Ctx, id: string): Promise<AdminSubmissionView> {
  const rows = await listSubmissionsForReview(ctx.deps.db, undefined);
  const row = rows.find((r) => r.id === id) ?? { ...(await findSubmission(ctx.deps.db, id))!, creator: null };
  return presentAdminSubmission(ctx, row);
}

async function presentAdminSubmission(ctx: Ctx, s: SubmissionRow & { creator: string | null }): Promise<AdminSubmissionView> {
  const m = s.manifest as PackManifest;
  const files = s.files as Record<string, string>;
  const previous = await ctx.deps.db
    .selectFrom('pack_submission')
    .select('version')
    .where('pack_id', '=', s.pack_id)
    .where('status', '=', 'approved')
    .where('id', '<>', s.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return {
    ...presentSubmission(s),
    creator: s.creator,
    origin: s.origin as 'publish' | 'import',
    title: m.name,
    description: m.description,
    files: Object.entries(files).map(([path, text]) => ({ path, bytes: Buffer.byteLength(text) })),
    agents: m.agents.map((a) => ({
      key: a.id,
      name: a.name,
      steps: a.steps.map((st) =>
        'skill' in st
          ? `${st.id}: ${st.skill}`
          : 'code' in st
            ? `${st.id}: code ${st.code} (${st.skills.join(', ') || 'no skills'})`
            : `${st.id}: model`,
      ),
    })),
    previousVersion: previous?.version ?? null,
  };
}

export async function listSubmissionsAsOperator(ctx: Ctx, status?: string): Promise<AdminSubmissionView[]> {
  const rows = await listSubmissionsForReview(ctx.deps.db, status);
  const out: AdminSubmissionView[] = [];
  for (const r of rows) out.push(await presentAdminSubmission(ctx, r));
  return out;
}

/**
 * A pack that arrives with `csme import` from another instance: accepted when a version with the same
 * id, version and bundle hash is in this instance's marketplace with a valid signature; otherwise held
 * for an operator's review (a pending submission of origin `import`). For the privacy/import work.
 */
export async function checkImportedPack(
  ctx: Ctx,
  p: { files: Record<string, string>; importedByAccountId: string | null },
): Promise<{ status: 'verified'; versionId: string } | { status: 'held'; submissionId: string }> {
  const pack = packFromFiles(p.files);
  const m = pack.manifest;
  const v = await ctx.deps.db
    .selectFrom('pack_version')
    .selectAll()
    .where('pack_id', '=', m.id)
    .where('version', '=', m.version)
    .executeTakeFirst();
  if (
    v &&
    v.bundle_sha256 === pack.hash &&
    (v.source === 'builtin' ||
      (v.signature !== null &&
        verifyPackSignature(ctx.deps.keys.packSigning.publicKeyPem, v.pack_id, v.version, v.bundle_sha256, v.signature)))
  )
    return { status: 'verified', versionId: v.id };
  const existing = await ctx.deps.db
    .selectFrom('pack_submission')
    .select(['id'])
    .where('pack_id', '=', m.id)
    .where('bundle_sha256', '=', pack.hash)
    .where('origin', '=', 'import')
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (existing) return { status: 'held', submissionId: existing.id };
  const { checks } = await checkBundle(ctx, p.files, '');
  const id = newId();
  await insertSubmission(ctx.deps.db, {
    id,
    pack_id: m.id,
    version: v ? `${m.version}+import.${pack.hash.slice(0, 8)}` : m.version,
    creator_account_id: null,
    origin: 'import',
    manifest: JSON.stringify(m),
    files: JSON.stringify(p.files),
    bundle_sha256: pack.hash,
    checks: JSON.stringify(checks),
    added_scopes: m.scopes,
    reasons: p.importedByAccountId ? `imported by account ${p.importedByAccountId}` : null,
    created_at: ctx.now(),
  });
  return { status: 'held', submissionId: id };
}

// ---------------------------------------------------------------- listings

const screenshotUrl = (id: string) => `/api/v1/marketplace/screenshots/${id}`;

function priceOf(l: Pick<ListingRow, 'price_model' | 'price_usd' | 'price_ils'>) {
  return { model: l.price_model as 'free' | 'one_off' | 'monthly', usd: l.price_usd, ils: l.price_ils };
}

export async function browseListings(
  ctx: ActorCtx,
  q: {
    q?: string;
    persona?: string;
    category?: string;
    price?: 'free' | 'paid';
    minRating?: number;
    sort: 'popular' | 'new' | 'top_rated';
    limit: number;
    cursor?: string;
  },
) {
  const offset = q.cursor ? Number(q.cursor) : 0;
  const rows = await searchListings(ctx.deps.db, { ...q, offset });
  const items: ListingSummary[] = rows.slice(0, q.limit).map((r) => ({
    packId: r.pack_id,
    title: r.title,
    tagline: r.tagline,
    icon: (r.manifest as PackManifest | null)?.icon ?? '📦',
    persona: r.persona,
    categories: r.categories,
    creator: r.creator,
    price: priceOf(r),
    rating: { average: r.rating_avg === null ? null : Math.round(r.rating_avg * 10) / 10, count: r.rating_count },
    installs: r.installs,
    version: r.version ?? '',
    listedAt: r.first_listed_at?.toISOString() ?? null,
  }));
  return { items, nextCursor: rows.length > q.limit ? String(offset + q.limit) : null, categories: await listCategories(ctx.deps.db) };
}

/** A license to install: free and listed, or bought (one-off, or monthly while paid) by this space. */
function licensed(
  l: ListingRow,
  purchase: { status: string; price_model: string; period_end: Date | null } | undefined,
  now: Date,
): boolean {
  if (l.price_model === 'free') return l.status === 'listed';
  if (purchase?.status !== 'active') return false;
  return purchase.price_model === 'one_off' || (purchase.period_end !== null && purchase.period_end > now);
}

async function visibleListing(ctx: ActorCtx, packId: string) {
  const l = await findListing(ctx.deps.db, packId);
  if (!l) throw new AppError('not_found', 'That pack was not found in the marketplace.');
  const isCreator = l.creator_account_id === ctx.actor.accountId;
  const mine = await inSpace(ctx, async (c) => ({
    purchase: await findLivePurchase(c.db, ctx.actor.spaceId, packId),
    installation: await c.db
      .selectFrom('pack_installation')
      .select(['id'])
      .where('space_id', '=', ctx.actor.spaceId)
      .where('pack_id', '=', packId)
      .where('status', '<>', 'uninstalled')
      .executeTakeFirst(),
  }));
  // An unpublished listing stays visible to its creator, operators and those who have it.
  if (l.status !== 'listed' && !isCreator && !ctx.actor.isOperator && !mine.purchase && !mine.installation)
    throw new AppError('not_found', 'That pack was not found in the marketplace.');
  return { l, isCreator, ...mine };
}

export async function getListing(ctx: ActorCtx, packId: string): Promise<ListingDetail> {
  const { l, isCreator, purchase, installation } = await visibleListing(ctx, packId);
  const v = await findLatestApproved(ctx.deps.db, packId);
  const m = v?.manifest as PackManifest | undefined;
  const stats = await listingStats(ctx.deps.db, packId);
  const reviews = await listReviewsOf(ctx.deps.db, packId, { includeHidden: ctx.actor.isOperator, limit: 20, offset: 0 });
  const versions = await listApprovedVersions(ctx.deps.db, packId);
  const creator = await findProfile(ctx.deps.db, l.creator_account_id);
  return {
    packId,
    title: l.title,
    tagline: l.tagline,
    icon: m?.icon ?? '📦',
    persona: l.persona,
    categories: l.categories,
    creator: creator?.display_name ?? '',
    price: priceOf(l),
    rating: { average: stats.rating_avg === null ? null : Math.round(stats.rating_avg * 10) / 10, count: stats.rating_count },
    installs: stats.installs,
    version: v?.version ?? '',
    listedAt: l.first_listed_at?.toISOString() ?? null,
    descriptionHtml: renderMarkdown(l.description_md),
    screenshots: (await listScreenshots(ctx.deps.db, packId)).map((s) => ({ id: s.id, caption: s.caption, url: screenshotUrl(s.id) })),
    versions: versions.map((x) => ({ version: x.version, changelog: x.changelog, publishedAt: x.created_at.toISOString() })),
    scopes: (m?.scopes ?? []).map(scopeView),
    agents: (m?.agents ?? []).map((a) => ({ key: a.id, name: a.name, description: a.description })),
    settingsSchema: m?.settings ?? { type: 'object', properties: {} },
    status: l.status as ListingDetail['status'],
    reviews: reviews.slice(0, 20).map((r) => presentReview(r, ctx.actor.accountId)),
    mine: {
      purchase: purchase ? { id: purchase.id, status: purchase.status, periodEnd: purchase.period_end?.toISOString() ?? null } : null,
      installationId: installation?.id ?? null,
      mayInstall: v !== undefined && !installation && licensed(l, purchase, ctx.now()),
      mayReview: await hasInstalled(ctx.deps.db, ctx.actor.accountId, packId),
      isCreator,
    },
  };
}

export async function getScreenshot(ctx: ActorCtx, id: string) {
  const s = await findScreenshot(ctx.deps.db, id);
  if (!s) throw new AppError('not_found', 'That screenshot was not found.');
  await visibleListing(ctx, s.pack_id);
  return s;
}

async function ownListing(ctx: ActorCtx, packId: string): Promise<ListingRow> {
  const l = await findListing(ctx.deps.db, packId);
  // Someone else's pack is not found (not forbidden): creators cannot probe each other's packs.
  if (!l || l.creator_account_id !== ctx.actor.accountId) throw new AppError('not_found', 'That pack is not one of yours.');
  return l;
}

async function studioPack(ctx: Ctx, l: ListingRow): Promise<StudioPack> {
  const v = await findLatestApproved(ctx.deps.db, l.pack_id);
  const pending = await ctx.deps.db
    .selectFrom('pack_submission')
    .select(['version', 'status'])
    .where('pack_id', '=', l.pack_id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  const stats = await listingStats(ctx.deps.db, l.pack_id);
  return {
    packId: l.pack_id,
    title: l.title,
    icon: (v?.manifest as PackManifest | undefined)?.icon ?? '📦',
    status: l.status as StudioPack['status'],
    latestVersion: v?.version ?? null,
    pending: pending && pending.status !== 'approved' ? pending : null,
    price: priceOf(l),
    tagline: l.tagline,
    descriptionMd: l.description_md,
    categories: l.categories,
    screenshots: (await listScreenshots(ctx.deps.db, l.pack_id)).map((s) => ({ id: s.id, caption: s.caption, url: screenshotUrl(s.id) })),
    installs: stats.installs,
    rating: { average: stats.rating_avg === null ? null : Math.round(stats.rating_avg * 10) / 10, count: stats.rating_count },
  };
}

export async function listStudioPacks(ctx: ActorCtx): Promise<StudioPack[]> {
  const out: StudioPack[] = [];
  for (const l of await listListingsOf(ctx.deps.db, ctx.actor.accountId)) out.push(await studioPack(ctx, l));
  return out;
}

export async function updateListing(ctx: ActorCtx, packId: string, input: ListingInput): Promise<StudioPack> {
  await ownListing(ctx, packId);
  if (input.priceModel === 'free' && (input.priceUsd !== 0 || input.priceIls !== 0))
    throw new AppError('invalid_input', 'body.priceUsd: a free pack has no price (0 in both currencies)');
  if (input.priceModel !== 'free' && (input.priceUsd < 100 || input.priceIls < 100))
    throw new AppError('invalid_input', 'body.priceUsd: a paid pack costs at least 1.00 in both USD and ILS (100 minor units)');
  await assertClean(ctx, {
    'body.title': input.title,
    'body.tagline': input.tagline,
    'body.descriptionMd': input.descriptionMd,
    'body.categories': input.categories.join(' '),
  });
  await updateListingRow(ctx.deps.db, packId, {
    title: input.title,
    tagline: input.tagline,
    description_md: input.descriptionMd,
    categories: [...new Set(input.categories.map((c) => c.toLowerCase()))],
    price_model: input.priceModel,
    price_usd: input.priceUsd,
    price_ils: input.priceIls,
    updated_at: ctx.now(),
  });
  return studioPack(ctx, (await findListing(ctx.deps.db, packId))!);
}

export async function addScreenshot(ctx: ActorCtx, packId: string, input: { contentType: string; data: string; caption: string }) {
  await ownListing(ctx, packId);
  const bytes = Buffer.from(input.data, 'base64');
  if (!bytes.length || bytes.length > MAX_SCREENSHOT_BYTES) throw new AppError('payload_too_large', 'A screenshot is at most 1 MB.');
  if (imageTypeOf(bytes) !== input.contentType)
    throw new AppError('invalid_input', `body.data: is not a ${input.contentType.replace('image/', '').toUpperCase()} image`);
  await assertClean(ctx, { 'body.caption': input.caption });
  const count = (await listScreenshots(ctx.deps.db, packId)).length;
  if (count >= MAX_SCREENSHOTS) throw new AppError('conflict', `A listing has at most ${MAX_SCREENSHOTS} screenshots; remove one first.`);
  await ctx.deps.db
    .insertInto('listing_screenshot')
    .values({
      id: newId(),
      pack_id: packId,
      content_type: input.contentType,
      bytes,
      caption: input.caption,
      sort: count,
      created_at: ctx.now(),
    })
    .execute();
  return studioPack(ctx, (await findListing(ctx.deps.db, packId))!);
}

export async function deleteScreenshot(ctx: ActorCtx, packId: string, screenshotId: string) {
  await ownListing(ctx, packId);
  const r = await ctx.deps.db
    .deleteFrom('listing_screenshot')
    .where('pack_id', '=', packId)
    .where('id', '=', screenshotId)
    .executeTakeFirst();
  if (!r.numDeletedRows) throw new AppError('not_found', 'That screenshot was not found.');
  return studioPack(ctx, (await findListing(ctx.deps.db, packId))!);
}

/** Unpublish (no new installs or purchases; whoever has it keeps it) or list again. */
export async function setListingStatus(ctx: ActorCtx, packId: string, status: 'listed' | 'unlisted') {
  const l = await ownListing(ctx, packId);
  if (status === 'listed' && !(await findLatestApproved(ctx.deps.db, packId)))
    throw new AppError('conflict', 'The pack is listed once a version is approved.');
  if (l.status !== status)
    await updateListingRow(ctx.deps.db, packId, {
      status,
      ...(status === 'unlisted' ? { unlisted_at: ctx.now() } : { first_listed_at: l.first_listed_at ?? ctx.now() }),
      updated_at: ctx.now(),
    });
  return studioPack(ctx, (await findListing(ctx.deps.db, packId))!);
}

// ---------------------------------------------------------------- buying and installing

/**
 * Buys a paid pack: a pending purchase and the billing checkout in one transaction (an open invoice
 * offline, a Stripe Checkout page otherwise). The purchase becomes active when billing reports the
 * invoice paid (`onSalePaid`), once however often that is reported.
 */
export async function purchaseListing(
  ctx: ActorCtx,
  packId: string,
  input: { currency: 'USD' | 'ILS'; country?: string },
): Promise<PurchaseResult> {
  const l = await findListing(ctx.deps.db, packId);
  if (l?.status !== 'listed') throw new AppError('not_found', 'That pack was not found in the marketplace.');
  if (l.price_model === 'free') throw new AppError('conflict', 'This pack is free: install it directly.', { reason: 'free' });
  if (l.creator_account_id === ctx.actor.accountId) throw new AppError('conflict', 'This is your own pack: install it without buying it.');
  const amount = input.currency === 'USD' ? l.price_usd : l.price_ils;
  const id = newId();
  const now = ctx.now();
  const out = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c = { ...ctx, db: tx };
    await sqlLock(tx, `marketplace:purchase:${ctx.actor.spaceId}:${packId}`);
    const live = await findLivePurchase(tx, ctx.actor.spaceId, packId);
    if (
      live?.status === 'active' &&
      !(live.price_model === 'monthly' && live.period_end && live.period_end.getTime() - now.getTime() < 7 * 86_400_000)
    )
      throw new AppError('conflict', 'This space has bought this pack already.', { reason: 'already_bought' });
    if (live?.status === 'pending')
      throw new AppError(
        'conflict',
        'A purchase of this pack is waiting for its payment; pay that invoice (Plans → Invoices) or ask the operator to void it.',
        {
          reason: 'payment_pending',
        },
      );
    const purchaseId = live?.id ?? id;
    if (!live)
      await insertPurchase(tx, {
        id,
        space_id: ctx.actor.spaceId,
        account_id: ctx.actor.accountId,
        pack_id: packId,
        price_model: l.price_model,
        currency: input.currency,
        amount,
        status: 'pending',
        created_at: now,
        updated_at: now,
      });
    const r = await checkoutSale(c, {
      module: MODULE,
      ref: purchaseId,
      description: `${l.title} (${l.price_model === 'monthly' ? 'one month' : 'one-off'})`,
      currency: input.currency,
      amount,
      country: input.country,
      returnPath: `/marketplace/${packId}`,
    });
    if (r.kind === 'invoice') await updatePurchase(tx, purchaseId, { invoice_id: r.invoice.id, updated_at: now });
    const p = (await tx
      .selectFrom('pack_purchase as p')
      .innerJoin('listing as l', 'l.pack_id', 'p.pack_id')
      .selectAll('p')
      .select('l.title')
      .where('p.id', '=', purchaseId)
      .executeTakeFirst())!;
    return { r, p };
  });
  const purchase = presentPurchase(out.p);
  if (out.r.kind === 'redirect') return { status: 'redirect', purchase, url: out.r.url };
  return { status: 'invoice_open', purchase, invoice: out.r.invoice };
}

/**
 * Billing's report of a paid sale invoice (in the paying transaction): the ledger's sale entry (once
 * per invoice: a webhook delivered twice records one sale), the purchase active (a monthly one for a
 * month more), the buyer told. The split: tax apart, the rest 70% creator, the remainder unit to the
 * platform, which also bears the provider's fee.
 */
export async function recordSale(ctx: Ctx, sale: PaidSale): Promise<void> {
  if (!isUuid(sale.ref)) throw new AppError('internal', `sale ref ${sale.ref} is not a purchase`);
  const p = await lockPurchaseById(ctx.db, sale.ref);
  if (!p) throw new AppError('internal', `purchase ${sale.ref} was not found`);
  const l = (await findListing(ctx.db, p.pack_id))!;
  const split = saleSplit(sale.total, sale.tax);
  const inserted = await insertLedgerEntry(ctx.db, {
    id: newId(),
    kind: 'sale',
    purchase_id: p.id,
    pack_id: p.pack_id,
    creator_account_id: l.creator_account_id,
    currency: sale.currency,
    gross: split.gross,
    tax: split.tax,
    creator_amount: split.creator,
    platform_amount: split.platform,
    fee: sale.fee,
    invoice_id: sale.invoiceId,
    provider: sale.provider,
    occurred_at: sale.paidAt,
  });
  if (!inserted) return;
  const now = ctx.now();
  const from = p.period_end && p.period_end > now ? p.period_end : now;
  await updatePurchase(ctx.db, p.id, {
    status: 'active',
    invoice_id: sale.invoiceId,
    period_end: p.price_model === 'monthly' ? new Date(from.getTime() + MONTH_MS) : null,
    updated_at: now,
  });
  if (p.account_id) {
    await notify(ctx, {
      spaceId: p.space_id,
      accountId: p.account_id,
      kind: 'marketplace.purchased',
      title: `${l.title} is yours`,
      body: 'Install it from its page in the marketplace.',
      url: `/marketplace/${p.pack_id}`,
      email: true,
    });
  }
  await logActivity(
    ctx.db,
    {
      spaceId: p.space_id,
      actorKind: 'system',
      kind: 'marketplace.purchased',
      objectType: 'pack_purchase',
      objectId: p.id,
      summary: `Bought ${l.title} (invoice ${sale.invoiceNumber})`,
    },
    now,
  );
}

export async function listPurchases(ctx: ActorCtx): Promise<PurchaseView[]> {
  return inSpace(ctx, async (c) => (await listPurchasesOf(c.db, ctx.actor.spaceId)).map(presentPurchase));
}

export async function cancelPurchase(ctx: ActorCtx, id: string): Promise<PurchaseView> {
  return inSpace(ctx, async (c) => {
    const p = await findPurchase(c.db, ctx.actor.spaceId, id);
    if (!p) throw new AppError('not_found', 'That purchase was not found.');
    if (ctx.actor.role !== 'owner') throw new AppError('forbidden', 'Only the owner of this space manages its purchases.');
    if (p.price_model !== 'monthly' || p.status !== 'active') throw new AppError('conflict', 'Only an active monthly pack can be stopped.');
    await updatePurchase(c.db, id, { canceled_at: ctx.now(), updated_at: ctx.now() });
    const rows = await listPurchasesOf(c.db, ctx.actor.spaceId);
    return presentPurchase(rows.find((r) => r.id === id)!);
  });
}

/** Installs a marketplace pack for a space that may: free and listed, or bought (signature verified by packs). */
export async function installListing(
  ctx: ActorCtx,
  packId: string,
  input: { visibility?: 'shared' | 'private'; settings: Record<string, unknown>; grantedScopes: string[]; enableAgents?: string[] },
) {
  const { l, purchase } = await visibleListing(ctx, packId);
  const v = await findLatestApproved(ctx.deps.db, packId);
  if (!v) throw new AppError('conflict', 'This pack has no approved version yet.');
  const isCreator = l.creator_account_id === ctx.actor.accountId;
  if (!isCreator && !licensed(l, purchase, ctx.now())) {
    if (l.price_model !== 'free') throw new AppError('forbidden', 'Buy this pack first.', { reason: 'not_bought' });
    throw new AppError('not_found', 'That pack was not found in the marketplace.');
  }
  return installPack(ctx, packId, input, { versionId: v.id, viaMarketplace: true });
}

/** Daily: a monthly pack not paid for its next month is lapsed and its installations paused (never deleted). */
export async function lapseUnpaid(ctx: Ctx): Promise<number> {
  const due = await listLapsingPurchases(ctx.deps.db, ctx.now());
  for (const p of due)
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      await updatePurchase(tx, p.id, { status: 'lapsed', updated_at: ctx.now() });
      await pauseInstallationsOfPack({ ...ctx, db: tx }, p.space_id, p.pack_id, 'payment_due');
    });
  return due.length;
}

// ---------------------------------------------------------------- updates and consent

export async function getUpdateOffer(ctx: ActorCtx, installationId: string): Promise<UpdateOffer | null> {
  const row = await inSpace(ctx, (c) => findInstallation(c.db, ctx.actor.spaceId, installationId));
  if (!row || row.status === 'uninstalled') throw new AppError('not_found', 'That installed pack was not found.');
  const latest = await findLatestApproved(ctx.deps.db, row.pack_id);
  if (!latest || latest.id === row.pack_version_id || !isNewerVersion(latest.version, row.version)) return null;
  const diff = scopeDiff(row.granted_scopes, (latest.manifest as PackManifest).scopes);
  const versions = (await listApprovedVersions(ctx.deps.db, row.pack_id)).filter((x) => isNewerVersion(x.version, row.version));
  return {
    installationId,
    packId: row.pack_id,
    currentVersion: row.version,
    latestVersion: latest.version,
    latestVersionId: latest.id,
    scopes: (latest.manifest as PackManifest).scopes.map(scopeView),
    addedScopes: diff.added.map(scopeView),
    removedScopes: diff.removed.map(scopeView),
    changelog: versions.map((x) => ({ version: x.version, changelog: x.changelog, publishedAt: x.created_at.toISOString() })),
    needsConsent: diff.added.length > 0,
  };
}

/** Moves an installation to a newer version after consent to exactly its scopes (the old one runs until then). */
export async function applyUpdate(ctx: ActorCtx, installationId: string, input: { versionId: string; grantedScopes: string[] }) {
  if (ctx.actor.role === 'child')
    throw new AppError('forbidden', 'Only an adult of the family can install, change or remove packs.', { reason: 'child' });
  await inSpace(ctx, (c) =>
    moveInstallationToVersion(c, {
      spaceId: ctx.actor.spaceId,
      installationId,
      versionId: input.versionId,
      grantedScopes: input.grantedScopes,
      actorAccountId: ctx.actor.accountId,
      timeZone: ctx.actor.timeZone,
    }),
  );
  return getInstallation(ctx, installationId);
}

/**
 * After a version is approved: installations of older versions that granted everything it asks for
 * move to it; the others are told what it adds and keep running the old version until they consent.
 */
export async function offerUpdate(ctx: Ctx, packId: string, versionId: string): Promise<void> {
  const v = await findPackVersion(ctx.deps.db, versionId);
  if (!v) return;
  const manifest = v.manifest as PackManifest;
  for (const i of await listInstallationsBehind(ctx.deps.db, packId, versionId)) {
    if (!isNewerVersion(v.version, i.version)) continue;
    const diff = scopeDiff(i.granted_scopes, manifest.scopes);
    if (diff.added.length === 0) {
      await inTenant(ctx.deps.db, { spaceId: i.space_id, accountId: i.owner_account_id }, (tx) =>
        moveInstallationToVersion(
          { ...ctx, db: tx },
          {
            spaceId: i.space_id,
            installationId: i.id,
            versionId,
            grantedScopes: manifest.scopes,
            actorAccountId: null,
            timeZone: i.time_zone,
          },
        ),
      );
      continue;
    }
    await notify(ctx, {
      spaceId: i.space_id,
      accountId: i.owner_account_id,
      kind: 'marketplace.update',
      title: `${manifest.name} ${v.version} asks for more`,
      body: `It also asks to: ${diff.added.map((s) => scopeView(s).label.toLowerCase()).join('; ')}. Until you agree, version ${i.version} keeps running.`,
      url: `/marketplace/${packId}?update=${i.id}`,
    });
  }
}

export async function sendUninstallFeedback(ctx: ActorCtx, installationId: string, reason: string): Promise<void> {
  await inSpace(ctx, async (c) => {
    const row = await findInstallation(c.db, ctx.actor.spaceId, installationId);
    if (!row) throw new AppError('not_found', 'That installed pack was not found.');
    if (row.status !== 'uninstalled') throw new AppError('conflict', 'Tell us why after you uninstall it.');
    await c.db
      .insertInto('uninstall_feedback')
      .values({
        id: newId(),
        space_id: ctx.actor.spaceId,
        pack_id: row.pack_id,
        installation_id: installationId,
        reason,
        created_at: ctx.now(),
      })
      .onConflict((oc) => oc.column('installation_id').doUpdateSet({ reason }))
      .execute();
  });
}

// ---------------------------------------------------------------- ratings and reviews

export async function listReviews(
  ctx: ActorCtx,
  packId: string,
  cursor?: string,
): Promise<{ items: ReviewView[]; nextCursor: string | null }> {
  await visibleListing(ctx, packId);
  const offset = cursor ? Number(cursor) : 0;
  const rows = await listReviewsOf(ctx.deps.db, packId, { includeHidden: ctx.actor.isOperator, limit: 20, offset });
  return {
    items: rows.slice(0, 20).map((r) => presentReview(r, ctx.actor.accountId)),
    nextCursor: rows.length > 20 ? String(offset + 20) : null,
  };
}

/** Only someone who installed the pack reviews it; one review per person (sending again edits it). */
export async function putReview(ctx: ActorCtx, packId: string, input: { rating: number; body: string }): Promise<ReviewView> {
  const { l } = await visibleListing(ctx, packId);
  if (l.creator_account_id === ctx.actor.accountId)
    throw new AppError('forbidden', 'Creators do not review their own packs.', { reason: 'own_pack' });
  if (!(await hasInstalled(ctx.deps.db, ctx.actor.accountId, packId)))
    throw new AppError('forbidden', 'Only people who installed this pack can review it.', { reason: 'not_installed' });
  await assertClean(ctx, { 'body.body': input.body });
  const now = ctx.now();
  await ctx.deps.db
    .insertInto('pack_review')
    .values({
      id: newId(),
      pack_id: packId,
      account_id: ctx.actor.accountId,
      rating: input.rating,
      body: input.body,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['pack_id', 'account_id']).doUpdateSet({ rating: input.rating, body: input.body, updated_at: now }))
    .execute();
  const row = await ctx.deps.db
    .selectFrom('pack_review')
    .select('id')
    .where('pack_id', '=', packId)
    .where('account_id', '=', ctx.actor.accountId)
    .executeTakeFirstOrThrow();
  return presentReview((await findReview(ctx.deps.db, row.id))!, ctx.actor.accountId);
}

export async function replyToReview(ctx: ActorCtx, reviewId: string, reply: string): Promise<ReviewView> {
  const r = await findReview(ctx.deps.db, reviewId);
  const l = r ? await findListing(ctx.deps.db, r.pack_id) : undefined;
  if (!r || !l || l.creator_account_id !== ctx.actor.accountId || r.hidden_at)
    throw new AppError('not_found', 'That review was not found.');
  await assertClean(ctx, { 'body.reply': reply });
  await ctx.deps.db.updateTable('pack_review').set({ reply, replied_at: ctx.now() }).where('id', '=', reviewId).execute();
  return presentReview((await findReview(ctx.deps.db, reviewId))!, ctx.actor.accountId);
}

export async function hideReview(ctx: ActorCtx, reviewId: string, hidden: boolean, reason: string): Promise<ReviewView> {
  const r = await findReview(ctx.deps.db, reviewId);
  if (!r) throw new AppError('not_found', 'That review was not found.');
  await ctx.deps.db
    .updateTable('pack_review')
    .set(
      hidden
        ? { hidden_at: ctx.now(), hidden_reason: reason, hidden_by: ctx.actor.accountId }
        : { hidden_at: null, hidden_reason: null, hidden_by: null },
    )
    .where('id', '=', reviewId)
    .execute();
  return presentReview((await findReview(ctx.deps.db, reviewId))!, ctx.actor.accountId);
}

// ---------------------------------------------------------------- refunds (operators)

async function saleView(db: Db, sale: LedgerRow): Promise<AdminSaleView> {
  const refunds = await listRefundsOf(db, [sale.id]);
  return {
    id: sale.id,
    packId: sale.pack_id,
    currency: sale.currency as 'USD' | 'ILS',
    gross: sale.gross,
    tax: sale.tax,
    creator: sale.creator_amount,
    platform: sale.platform_amount,
    refunded: -refunds.reduce((s, r) => s + r.gross, 0),
    provider: sale.provider,
    invoiceId: sale.invoice_id,
    occurredAt: sale.occurred_at.toISOString(),
    refunds: refunds.map((r) => ({ id: r.id, gross: r.gross, reason: r.reason, occurredAt: r.occurred_at.toISOString() })),
  };
}

export async function listSalesAsOperator(ctx: Ctx, packId?: string): Promise<AdminSaleView[]> {
  const out: AdminSaleView[] = [];
  for (const s of await listSales(ctx.deps.db, packId)) out.push(await saleView(ctx.deps.db, s));
  return out;
}

/**
 * Refunds a sale, in full (no amount) or in part: the provider pays it back (Stripe; offline, the
 * operator does by hand), and a refund entry reverses tax, creator and platform shares in proportion.
 * A refund itself cannot be refunded, and refunds never exceed what was paid.
 */
export async function refund(ctx: ActorCtx, entryId: string, input: { amount?: number; reason: string }): Promise<AdminSaleView> {
  const pre = await ctx.deps.db.selectFrom('ledger_entry').selectAll().where('id', '=', entryId).executeTakeFirst();
  if (!pre) throw new AppError('not_found', 'That ledger entry was not found.');
  if (pre.kind === 'refund')
    throw new AppError('conflict', 'This entry is a refund: a refund cannot be refunded.', { reason: 'refund_of_refund' });
  const before = -(await listRefundsOf(ctx.deps.db, [pre.id])).reduce((s, r) => s + r.gross, 0);
  const left = pre.gross - before;
  if (left <= 0) throw new AppError('conflict', 'This sale is refunded in full already.', { reason: 'refunded' });
  const amount = input.amount ?? left;
  if (amount > left) throw new AppError('invalid_input', `body.amount: at most ${left} is left to refund on this sale`);
  // The provider first, under a key that is the same on a retry of this very refund.
  const key = `${pre.id}-${before}-${amount}`;
  const paid = pre.invoice_id ? await refundSale(ctx, pre.invoice_id, amount, key) : { providerRef: null };
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const sale = await findLedgerEntry(tx, entryId);
    if (!sale) throw new AppError('not_found', 'That ledger entry was not found.');
    const refundedBefore = -(await listRefundsOf(tx, [sale.id])).reduce((s, r) => s + r.gross, 0);
    if (refundedBefore !== before) throw new AppError('conflict', 'Another refund of this sale happened meanwhile; look again.');
    const r = refundSplit({ gross: sale.gross, tax: sale.tax }, refundedBefore, amount);
    await tx
      .insertInto('ledger_entry')
      .values({
        id: newId(),
        kind: 'refund',
        sale_id: sale.id,
        purchase_id: sale.purchase_id,
        pack_id: sale.pack_id,
        creator_account_id: sale.creator_account_id,
        currency: sale.currency,
        gross: r.gross,
        tax: r.tax,
        creator_amount: r.creator,
        platform_amount: r.platform,
        invoice_id: sale.invoice_id,
        provider: sale.provider,
        provider_ref: paid.providerRef,
        reason: input.reason || null,
        occurred_at: ctx.now(),
        created_by: ctx.actor.accountId,
      })
      .execute();
    if (refundedBefore + amount === sale.gross && sale.purchase_id) {
      const p = await lockPurchaseById(tx, sale.purchase_id);
      if (p) {
        await updatePurchase(tx, p.id, { status: 'refunded', updated_at: ctx.now() });
        await pauseInstallationsOfPack({ ...ctx, db: tx }, p.space_id, p.pack_id, 'refunded');
      }
    }
  });
  ctx.log.info({ entryId, amount }, 'sale refunded');
  return saleView(ctx.deps.db, (await ctx.deps.db.selectFrom('ledger_entry').selectAll().where('id', '=', entryId).executeTakeFirst())!);
}

// ---------------------------------------------------------------- payouts

type PayoutListRow = Awaited<ReturnType<typeof listPayouts>>[number];
const presentPayoutRow = (p: PayoutListRow) => ({ ...presentPayout(p), creator: p.creator });

/**
 * A month's payouts: per creator and currency, every ledger entry not yet paid out up to the end of the
 * month (refunds included, so a refund after a payout is taken from the next one). A balance of zero or
 * less waits for the next month. Running it again pays nothing twice.
 */
export async function runPayouts(ctx: Ctx, period: string) {
  const { end } = monthRange(period);
  if (end > ctx.now()) throw new AppError('conflict', `${period} has not ended yet: payouts are computed after the month ends.`);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    await sqlLock(tx, 'marketplace:payouts');
    for (const b of await unpaidBalances(tx, end)) {
      if (b.amount <= 0) continue;
      const exists = await tx
        .selectFrom('payout')
        .select('id')
        .where('creator_account_id', '=', b.creator_account_id)
        .where('period', '=', period)
        .where('currency', '=', b.currency)
        .executeTakeFirst();
      if (exists) continue;
      const id = newId();
      await tx
        .insertInto('payout')
        .values({
          id,
          creator_account_id: b.creator_account_id,
          period,
          currency: b.currency,
          amount: b.amount,
          entry_count: b.n,
          created_at: ctx.now(),
        })
        .execute();
      await tx
        .updateTable('ledger_entry')
        .set({ payout_id: id })
        .where('creator_account_id', '=', b.creator_account_id)
        .where('currency', '=', b.currency)
        .where('payout_id', 'is', null)
        .where('occurred_at', '<', end)
        .execute();
    }
  });
  return (await listPayouts(ctx.deps.db, { period })).map(presentPayoutRow);
}

export async function listPayoutsAsOperator(ctx: Ctx, period?: string) {
  return (await listPayouts(ctx.deps.db, { period })).map(presentPayoutRow);
}

/** The payout report an operator pays from: one line per payout, with the creator's payout details. */
export async function payoutsCsv(ctx: Ctx, period: string): Promise<string> {
  let out = csvLine([
    'payout_id',
    'period',
    'creator',
    'email',
    'payout_method',
    'payout_details',
    'currency',
    'amount',
    'amount_minor',
    'entries',
    'status',
    'paid_at',
    'reference',
  ]);
  for (const p of await listPayouts(ctx.deps.db, { period }))
    out += csvLine([
      p.id,
      p.period,
      p.creator,
      p.email,
      p.payout_method ?? '',
      await payoutDetailsOf(ctx, p.creator_account_id, p.payout_details),
      p.currency,
      (p.amount / 100).toFixed(2),
      p.amount,
      p.entry_count,
      p.status,
      p.paid_at?.toISOString() ?? '',
      p.reference ?? '',
    ]);
  return out;
}

export async function markPayoutPaid(ctx: ActorCtx, id: string, reference: string) {
  const r = await ctx.deps.db
    .updateTable('payout')
    .set({ status: 'paid', paid_at: ctx.now(), paid_by: ctx.actor.accountId, reference: reference || null })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  const row = (await listPayouts(ctx.deps.db, {})).find((p) => p.id === id);
  if (!row) throw new AppError('not_found', 'That payout was not found.');
  if (!r.numUpdatedRows) throw new AppError('conflict', 'This payout is marked paid already.');
  await tellCreator(
    ctx,
    row.creator_account_id,
    `Payout for ${row.period} sent`,
    `${(row.amount / 100).toFixed(2)} ${row.currency} is on its way.`,
  );
  return presentPayoutRow(row);
}

/** Monthly (cron): last month's payouts. */
export async function runLastMonthPayouts(ctx: Ctx): Promise<void> {
  await runPayouts(ctx, previousMonth(ctx.now()));
}

// ---------------------------------------------------------------- what creators see: earnings and analytics

/** A creator's sales and refunds exactly, with totals and payouts; never the purchase, so never who bought. */
export async function getEarnings(ctx: ActorCtx) {
  const entries = await listEntriesOfCreator(ctx.deps.db, ctx.actor.accountId);
  const totals = new Map<string, { currency: 'USD' | 'ILS'; gross: number; creator: number; unpaid: number; paid: number }>();
  for (const e of entries) {
    const t = totals.get(e.currency) ?? { currency: e.currency as 'USD' | 'ILS', gross: 0, creator: 0, unpaid: 0, paid: 0 };
    t.gross += e.gross;
    t.creator += e.creator_amount;
    if (e.payout_status === 'paid') t.paid += e.creator_amount;
    else t.unpaid += e.creator_amount;
    totals.set(e.currency, t);
  }
  return {
    entries: entries.map((e) => ({
      id: e.id,
      kind: e.kind as 'sale' | 'refund',
      packId: e.pack_id,
      currency: e.currency as 'USD' | 'ILS',
      gross: e.gross,
      tax: e.tax,
      creator: e.creator_amount,
      platform: e.platform_amount,
      occurredAt: e.occurred_at.toISOString(),
      payoutPeriod: e.payout_period,
    })),
    totals: [...totals.values()],
    payouts: (await listPayouts(ctx.deps.db, { creatorAccountId: ctx.actor.accountId })).map(presentPayout),
  };
}

const DAY = 86_400_000;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

function rangeOf(now: Date, q: { from?: string; to?: string }) {
  const to = q.to ? new Date(`${q.to}T00:00:00Z`) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const from = q.from ? new Date(`${q.from}T00:00:00Z`) : new Date(to.getTime() - 29 * DAY);
  if (from > to) throw new AppError('invalid_input', 'query.from: must not be after query.to');
  if (to.getTime() - from.getTime() > 366 * DAY) throw new AppError('invalid_input', 'query.from: the range is at most a year');
  return { from, to, end: new Date(to.getTime() + DAY) };
}

/**
 * How a pack does, for its creator. Behaviour figures (runs, success and approval rates, uninstall
 * reasons) are aggregates across spaces, and none is drawn from fewer than MIN_SPACES spaces: a day,
 * a total or a reason below that is withheld. Sales and payouts are the creator's own, exact.
 */
export async function getAnalytics(ctx: ActorCtx, packId: string, q: { from?: string; to?: string }): Promise<Analytics> {
  await ownListing(ctx, packId);
  const { from, to, end } = rangeOf(ctx.now(), q);
  const db = ctx.deps.db;
  const installs = await sql<{ day: string; n: number }>`
    select to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as n
    from pack_installation where pack_id = ${packId} and created_at >= ${from} and created_at < ${end} group by 1`.execute(db);
  const uninstalls = await sql<{ day: string; n: number }>`
    select to_char(date_trunc('day', uninstalled_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as n
    from pack_installation where pack_id = ${packId} and uninstalled_at >= ${from} and uninstalled_at < ${end} group by 1`.execute(db);
  const runs = await sql<{ day: string; n: number; ok: number; spaces: number }>`
    select to_char(date_trunc('day', r.queued_at at time zone 'UTC'), 'YYYY-MM-DD') as day, count(*)::int as n,
      count(*) filter (where r.status = 'succeeded')::int as ok, count(distinct r.space_id)::int as spaces
    from agent_run r join pack_installation i on i.id = r.installation_id
    where i.pack_id = ${packId} and r.queued_at >= ${from} and r.queued_at < ${end} and r.status <> 'refused' group by 1`.execute(db);
  const runTotals = await sql<{ n: number; ok: number; finished: number; spaces: number }>`
    select count(*)::int as n, count(*) filter (where r.status = 'succeeded')::int as ok,
      count(*) filter (where r.status in ('succeeded', 'failed'))::int as finished, count(distinct r.space_id)::int as spaces
    from agent_run r join pack_installation i on i.id = r.installation_id
    where i.pack_id = ${packId} and r.queued_at >= ${from} and r.queued_at < ${end} and r.status <> 'refused'`.execute(db);
  const approvals = await sql<{ approved: number; decided: number; spaces: number }>`
    select count(*) filter (where s.status in ('approved', 'executing', 'done', 'failed', 'unknown') and not s.auto)::int as approved,
      count(*) filter (where s.status in ('approved', 'executing', 'done', 'failed', 'unknown', 'rejected', 'dismissed', 'expired') and not s.auto)::int as decided,
      count(distinct s.space_id) filter (where not s.auto)::int as spaces
    from suggestion s join agent a on a.id = s.agent_id join pack_installation i on i.id = a.installation_id
    where i.pack_id = ${packId} and s.created_at >= ${from} and s.created_at < ${end}`.execute(db);
  const reasons = await sql<{ reason: string; n: number; spaces: number }>`
    select reason, count(*)::int as n, count(distinct space_id)::int as spaces from uninstall_feedback
    where pack_id = ${packId} and created_at >= ${from} and created_at < ${end} group by reason order by n desc`.execute(db);
  const revenue = await sql<{ day: string; currency: string; gross: number; creator: number; refunds: number }>`
    select to_char(date_trunc('day', occurred_at at time zone 'UTC'), 'YYYY-MM-DD') as day, currency,
      coalesce(sum(gross) filter (where kind = 'sale'), 0)::int as gross, coalesce(sum(creator_amount), 0)::int as creator,
      coalesce(-sum(gross) filter (where kind = 'refund'), 0)::int as refunds
    from ledger_entry where pack_id = ${packId} and creator_account_id = ${ctx.actor.accountId}
      and occurred_at >= ${from} and occurred_at < ${end} group by 1, 2 order by 1, 2`.execute(db);
  const payouts = await sql<{ day: string; currency: string; amount: number }>`
    select to_char(date_trunc('day', paid_at at time zone 'UTC'), 'YYYY-MM-DD') as day, currency, sum(amount)::int as amount
    from payout where creator_account_id = ${ctx.actor.accountId} and status = 'paid' and paid_at >= ${from} and paid_at < ${end}
    group by 1, 2 order by 1, 2`.execute(db);
  const ratings = await sql<{ month: string; average: number; count: number }>`
    select to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM') as month, avg(rating)::float8 as average, count(*)::int as count
    from pack_review where pack_id = ${packId} and hidden_at is null group by 1 order by 1`.execute(db);
  const totals = await sql<{ installs: number; active: number; uninstalls: number }>`
    select count(*) filter (where created_at >= ${from} and created_at < ${end})::int as installs,
      count(*) filter (where status = 'active')::int as active,
      count(*) filter (where uninstalled_at >= ${from} and uninstalled_at < ${end})::int as uninstalls
    from pack_installation where pack_id = ${packId}`.execute(db);
  const stats = await listingStats(db, packId);

  const days: string[] = [];
  for (let t = from.getTime(); t <= to.getTime(); t += DAY) days.push(isoDay(new Date(t)));
  const byDay = <T extends { day: string }>(rows: T[]) => new Map(rows.map((r) => [r.day, r]));
  const inst = byDay(installs.rows);
  const unin = byDay(uninstalls.rows);
  const run = byDay(runs.rows);
  const rt = runTotals.rows[0]!;
  const ap = approvals.rows[0]!;
  const t = totals.rows[0]!;
  const shown = reasons.rows.filter((r) => r.spaces >= MIN_SPACES);
  return {
    packId,
    from: isoDay(from),
    to: isoDay(to),
    minSpaces: MIN_SPACES,
    totals: {
      installs: t.installs,
      activeInstalls: t.active,
      uninstalls: t.uninstalls,
      runs: thresholded(rt.spaces, rt.n),
      successRate: rt.finished ? thresholded(rt.spaces, Math.round((rt.ok / rt.finished) * 1000) / 1000) : null,
      approvalRate: ap.decided ? thresholded(ap.spaces, Math.round((ap.approved / ap.decided) * 1000) / 1000) : null,
      ratingAverage: stats.rating_avg === null ? null : Math.round(stats.rating_avg * 10) / 10,
      ratingCount: stats.rating_count,
    },
    installsByDay: days.map((day) => ({ day, installs: inst.get(day)?.n ?? 0, uninstalls: unin.get(day)?.n ?? 0 })),
    runsByDay: days.map((day) => {
      const r = run.get(day);
      if (!r) return { day, runs: 0, successRate: null };
      return { day, runs: thresholded(r.spaces, r.n), successRate: thresholded(r.spaces, Math.round((r.ok / r.n) * 1000) / 1000) };
    }),
    revenueByDay: revenue.rows.map((r) => ({ ...r, currency: r.currency as 'USD' | 'ILS' })),
    payoutsByDay: payouts.rows.map((r) => ({ ...r, currency: r.currency as 'USD' | 'ILS' })),
    uninstallReasons: shown.map((r) => ({ reason: r.reason as Analytics['uninstallReasons'][number]['reason'], count: r.n })),
    uninstallReasonsWithheld: reasons.rows.filter((r) => r.spaces < MIN_SPACES).reduce((s, r) => s + r.n, 0),
    ratingsByMonth: ratings.rows.map((r) => ({ month: r.month, average: Math.round(r.average * 10) / 10, count: r.count })),
  };
}

export async function getAnalyticsCsv(ctx: ActorCtx, packId: string, q: { from?: string; to?: string }): Promise<string> {
  const a = await getAnalytics(ctx, packId, q);
  let out = csvLine(['day', 'installs', 'uninstalls', 'runs', 'success_rate', 'currency', 'gross', 'creator_share', 'refunds']);
  const rev = new Map<string, Analytics['revenueByDay']>();
  for (const r of a.revenueByDay) rev.set(r.day, [...(rev.get(r.day) ?? []), r]);
  a.installsByDay.forEach((d, i) => {
    const r = a.runsByDay[i]!;
    const money = rev.get(d.day) ?? [];
    const base = [d.day, d.installs, d.uninstalls, r.runs ?? 'withheld', r.successRate ?? (r.runs === 0 ? '' : 'withheld')];
    if (!money.length) out += csvLine([...base, '', 0, 0, 0]);
    for (const m of money) out += csvLine([...base, m.currency, m.gross, m.creator, m.refunds]);
  });
  return out;
}
