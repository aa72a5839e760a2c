import type { Offer } from '@csme/contracts/errors';
import { type IoOfferView, OrgWorkflow, type PromotionView } from '@csme/contracts/promote';
import type { PackManifest } from '@csme/sdk';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { AppError } from '#core/errors.js';
import { newId } from '#core/ids.js';
import type { JobHelpers } from '#core/jobs.js';
import { addJob } from '#core/jobs.js';
import { logActivity } from '#modules/activity/index.js';
import { isEnabled } from '#modules/flags/index.js';
import { resolveVariant } from '#modules/lab/index.js';
import { notify } from '#modules/notifications/index.js';
import { connectsoftIoSetting } from './promote.config.js';
import { sendWorkflowJob } from './promote.jobs.js';
import { buildOrgWorkflow, retryable, sha256Hex, signIoRequest } from './promote.policy.js';
import { findInstallationForExport, findPromotion, insertPromotion, listPromotionsOf, updatePromotion } from './promote.repository.js';

type PromotionRow = Awaited<ReturnType<typeof listPromotionsOf>>[number];

const present = (r: PromotionRow): PromotionView => ({
  id: r.id,
  installationId: r.installation_id,
  packId: r.pack_id,
  packName: r.pack_name,
  state: r.state as PromotionView['state'],
  attempts: r.attempts,
  lastError: r.last_error,
  remoteRef: r.remote_ref,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  sentAt: r.sent_at?.toISOString() ?? null,
});

function adultsOnly(ctx: ActorCtx): void {
  if (ctx.actor.role === 'child') throw new AppError('forbidden', 'Only an adult of the family can promote packs.');
}

async function promoteEnabled(ctx: Ctx): Promise<void> {
  if (!(await isEnabled(ctx, 'promote'))) throw new AppError('forbidden', 'Promoting packs is turned off on this instance.');
}

/** The organisational workflow document of an installed pack of the active space, checked against its schema. */
export async function exportInstallation(ctx: ActorCtx, installationId: string, id: string = newId()): Promise<OrgWorkflow> {
  const inst = await inSpace(ctx, (c) => findInstallationForExport(c.db, ctx.actor.spaceId, installationId));
  if (!inst) throw new AppError('not_found', 'That installed pack was not found.');
  const manifest = inst.manifest as PackManifest;
  const agents = [];
  for (const a of inst.agents) {
    const def = manifest.agents.find((d) => d.id === a.agent_key);
    // The steps this space runs now (the promoted winner, or its lab variant), without assigning one.
    const variant = await resolveVariant(
      ctx,
      {
        spaceId: ctx.actor.spaceId,
        agentId: a.id,
        packId: inst.pack_id,
        agentKey: a.agent_key,
        current: a.variant,
        variants: def?.variants,
      },
      { assign: false },
    );
    agents.push({ key: a.agent_key, enabled: a.enabled, policies: (a.policies ?? {}) as Record<string, string>, variant });
  }
  const doc = buildOrgWorkflow({
    id,
    manifest,
    files: (inst.files ?? {}) as Record<string, string>,
    pack: { version: inst.version, source: inst.source as 'builtin' | 'marketplace' | 'import', bundleSha256: inst.bundle_sha256 },
    installation: {
      id: inst.id,
      visibility: inst.visibility as 'shared' | 'private',
      installedAt: inst.created_at,
      localOnly: inst.local_only,
      settings: (inst.settings ?? {}) as Record<string, unknown>,
      grantedScopes: inst.granted_scopes,
    },
    agents,
    spaceKind: inst.space_kind as 'personal' | 'family',
    instanceUrl: ctx.deps.config.http.publicUrl,
    now: ctx.now(),
  });
  // The document is what the schema says, or it does not leave.
  return OrgWorkflow.parse(doc);
}

/**
 * "Promote to an organisational workflow": stores the document of an installed pack and, when an
 * operator set up a connectsoft.io endpoint, queues sending it (retried while the endpoint is down).
 * Owner or adult; logged in the space.
 */
export async function createPromotion(ctx: ActorCtx, installationId: string): Promise<PromotionView> {
  adultsOnly(ctx);
  await promoteEnabled(ctx);
  const id = newId();
  const doc = await exportInstallation(ctx, installationId, id);
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  const now = ctx.now();
  const visibility = doc.provenance.installation.visibility;
  return inSpace(ctx, async (c) => {
    await insertPromotion(c.db, {
      id,
      space_id: ctx.actor.spaceId,
      owner_account_id: ctx.actor.accountId,
      visibility,
      installation_id: installationId,
      pack_id: doc.provenance.pack.id,
      pack_name: doc.name,
      document: JSON.stringify(doc),
      document_sha256: sha256Hex(JSON.stringify(doc)),
      state: io.endpoint ? 'queued' : 'exported',
      endpoint: io.endpoint,
      created_at: now,
      updated_at: now,
    });
    if (io.endpoint) await addJob(c.db, sendWorkflowJob, { spaceId: ctx.actor.spaceId, promotionId: id }, { jobKey: `promote:${id}` });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        ownerAccountId: visibility === 'private' ? ctx.actor.accountId : null,
        visibility,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'pack.promoted',
        objectType: 'promotion',
        objectId: id,
        summary: io.endpoint
          ? `Promoted ${doc.name} to an organisational workflow; sending it to connectsoft.io`
          : `Promoted ${doc.name} to an organisational workflow (ready to download)`,
      },
      now,
    );
    const row = await findPromotion(c.db, ctx.actor.spaceId, id);
    return present(row!);
  });
}

export async function listPromotions(ctx: ActorCtx) {
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  const rows = await inSpace(ctx, (c) => listPromotionsOf(c.db, ctx.actor.spaceId));
  return { items: rows.map(present), ioConfigured: Boolean(io.endpoint), enabled: await isEnabled(ctx, 'promote') };
}

export async function getPromotionDocument(ctx: ActorCtx, id: string): Promise<{ document: unknown; filename: string }> {
  const row = await inSpace(ctx, (c) => findPromotion(c.db, ctx.actor.spaceId, id));
  if (!row) throw new AppError('not_found', 'That promotion was not found.');
  return { document: row.document, filename: `${row.pack_id}-org-workflow-${row.created_at.toISOString().slice(0, 10)}.json` };
}

/** Sends a failed (or never sent) promotion again, to the endpoint set up now. */
export async function retryPromotion(ctx: ActorCtx, id: string): Promise<PromotionView> {
  adultsOnly(ctx);
  await promoteEnabled(ctx);
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  return inSpace(ctx, async (c) => {
    const row = await findPromotion(c.db, ctx.actor.spaceId, id);
    if (!row) throw new AppError('not_found', 'That promotion was not found.');
    if (row.state === 'sent') throw new AppError('conflict', 'This promotion was sent already.');
    if (row.state === 'queued')
      throw new AppError('conflict', 'This promotion is being sent; it is retried on its own while connectsoft.io is away.');
    if (!io.endpoint)
      throw new AppError('conflict', 'No connectsoft.io endpoint is set up on this instance: download the document instead.');
    await updatePromotion(c.db, ctx.actor.spaceId, id, {
      state: 'queued',
      endpoint: io.endpoint,
      attempts: 0,
      last_error: null,
      updated_at: ctx.now(),
    });
    await addJob(c.db, sendWorkflowJob, { spaceId: ctx.actor.spaceId, promotionId: id }, { jobKey: `promote:${id}` });
    return present((await findPromotion(c.db, ctx.actor.spaceId, id))!);
  });
}

class SendFailed extends Error {}

/**
 * The job: POSTs the document to the connectsoft.io endpoint, signed (X-Csme-Signature over
 * `<timestamp>.<body>` with the connectsoft.io key), with the promotion id as Idempotency-Key so a
 * retried delivery is recognised. Network failures and 5xx/408/425/429 answers are retried with backoff
 * (the state stays `queued`, with the attempts and last error); other answers, or the last attempt,
 * leave it `failed` and tell the person. Outbound HTTP goes through the egress
 * guard.
 */
export async function sendPromotion(ctx: Ctx, spaceId: string, promotionId: string, helpers: JobHelpers): Promise<void> {
  const db = ctx.deps.db;
  const row = await findPromotion(db, spaceId, promotionId);
  if (row?.state !== 'queued') return;
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  const endpoint = io.endpoint ?? row.endpoint;
  if (!endpoint) {
    await updatePromotion(db, spaceId, promotionId, { state: 'exported', updated_at: ctx.now() });
    return;
  }
  const body = JSON.stringify(row.document);
  const timestamp = Math.floor(ctx.now().getTime() / 1000);
  // Through the egress guard, like every outbound call (an operator's endpoint is no way into the private network).
  const doFetch = ctx.deps.egress.fetchFor({ kind: 'http', timeoutMs: 15_000, maxBytes: 1024 * 1024 });
  let status = 0;
  let problem: string | null = null;
  let remoteRef: string | null = null;
  try {
    const res = await doFetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'connectsoft.me (org-workflow sender)',
        'idempotency-key': promotionId,
        'x-csme-timestamp': String(timestamp),
        'x-csme-signature': signIoRequest(ctx.deps.keys.ioHmac, timestamp, body),
        'x-csme-instance': ctx.deps.config.http.publicUrl,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([helpers.signal, AbortSignal.timeout(15_000)]),
    });
    status = res.status;
    const text = (await res.text()).slice(0, 2000);
    if (res.ok) {
      try {
        const id = (JSON.parse(text) as { id?: unknown }).id;
        if (typeof id === 'string' || typeof id === 'number') remoteRef = String(id).slice(0, 200);
      } catch {
        // an answer without JSON is fine
      }
    } else problem = `connectsoft.io answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
  } catch (e) {
    problem = `could not reach connectsoft.io (${(e as Error).message?.slice(0, 200) ?? 'network error'})`;
  }
  const now = ctx.now();
  if (!problem) {
    await updatePromotion(db, spaceId, promotionId, {
      state: 'sent',
      sent_at: now,
      remote_ref: remoteRef,
      attempts: row.attempts + 1,
      last_error: null,
      updated_at: now,
    });
    await logActivity(
      db,
      {
        spaceId,
        ownerAccountId: row.visibility === 'private' ? row.owner_account_id : null,
        visibility: row.visibility as 'shared' | 'private',
        actorKind: 'system',
        kind: 'promotion.sent',
        objectType: 'promotion',
        objectId: promotionId,
        summary: `${row.pack_name} was sent to connectsoft.io as an organisational workflow`,
      },
      now,
    );
    return;
  }
  const last = helpers.attempts >= helpers.maxAttempts || (status > 0 && !retryable(status));
  await updatePromotion(db, spaceId, promotionId, {
    attempts: row.attempts + 1,
    last_error: problem,
    updated_at: now,
    ...(last ? { state: 'failed' } : {}),
  });
  if (!last) throw new SendFailed(problem);
  await notify(
    { ...ctx, db },
    {
      spaceId,
      accountId: row.owner_account_id,
      kind: 'promotion.failed',
      title: `${row.pack_name} could not be sent to connectsoft.io`,
      body: `${problem}. Download the document, or try again later from the promotions page.`,
      url: '/promote',
    },
  );
  ctx.log.warn({ promotionId, status, attempts: helpers.attempts }, 'promotion to connectsoft.io failed');
}

const OFFER = {
  members: {
    title: 'More than 4 people? connectsoft.io is made for teams',
    body: 'connectsoft.me families have up to 4 members. For more people, shared workflows, custom domains and compliance, move to connectsoft.io: your packs come along as organisational workflows.',
  },
  organisation: {
    title: 'Organisation features live on connectsoft.io',
    body: 'Custom domains, many members, roles, compliance and audits are connectsoft.io features. Promote your packs to organisational workflows and take them with you.',
  },
} as const;

/** The connectsoft.io offer, for a refusal's offers (the family work calls it for a fifth member); null when the flag is off. */
export async function ioOffer(ctx: Ctx, reason: 'members' | 'organisation'): Promise<Offer | null> {
  if (!(await isEnabled(ctx, 'ioOffer'))) return null;
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  return { kind: 'connectsoft_io', label: 'See connectsoft.io', url: `${io.offerUrl}?from=connectsoft.me&reason=${reason}` };
}

export async function getIoOffer(ctx: Ctx, reason: 'members' | 'organisation'): Promise<IoOfferView> {
  const offer = await ioOffer(ctx, reason);
  const io = await ctx.deps.settings.get(connectsoftIoSetting);
  return { enabled: Boolean(offer), reason, ...OFFER[reason], label: offer?.label ?? 'See connectsoft.io', url: offer?.url ?? io.offerUrl };
}
