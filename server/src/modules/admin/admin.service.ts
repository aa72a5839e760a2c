import type {
  AdminAccountDetail,
  AdminAccountSummary,
  AdminSpaceSummary,
  AdminSpaceView,
  SettingView,
  SupportAccessView,
} from '@csme/contracts/admin';
import { z } from 'zod';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSystemTransaction } from '#core/db.js';
import { AppError } from '#core/errors.js';
import { isUuid, newId } from '#core/ids.js';
import type { SettingDef } from '#core/settings.js';
import {
  endImpersonationSessions,
  findAccountIdByEmail,
  type NewSession,
  openImpersonationSession,
  type RequestMeta,
  restoreAccount,
  suspendAccount,
} from '#modules/accounts/index.js';
import { logActivity } from '#modules/activity/index.js';
import { costOfSpace } from '#modules/costs/index.js';
import { notify } from '#modules/notifications/index.js';
import { applyPlanLimits, getEntitlements, setBasePlan } from '#modules/plans/index.js';
import { createFamilySpace } from '#modules/spaces/index.js';
import { impersonationEnds } from './admin.policy.js';
import {
  deleteSessionById,
  findAccountRow,
  findLiveGrant,
  findSessionExpiry,
  findSpace,
  findUsageRow,
  insertGrant,
  isOptedOut,
  listImpersonations,
  listMembers,
  listSpaceRolesOf,
  revokeGrants,
  searchAccounts,
  searchSpaces,
} from './admin.repository.js';

function settingDefs(ctx: Ctx): SettingDef[] {
  return ctx.deps.modules.flatMap((m) => m.settings ?? []);
}

async function settingView(ctx: Ctx, def: SettingDef): Promise<SettingView> {
  const row = await ctx.deps.db.selectFrom('instance_setting').select('updated_at').where('key', '=', def.key).executeTakeFirst();
  return {
    key: def.key,
    description: def.description,
    value: await ctx.deps.settings.describe(def),
    schema: z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    secretFields: [...(def.secretFields ?? [])],
    updatedAt: row?.updated_at.toISOString() ?? null,
  };
}

/** Every instance setting of every module, with its JSON Schema (the console renders a form from it). */
export async function listSettings(ctx: ActorCtx): Promise<SettingView[]> {
  const out: SettingView[] = [];
  for (const def of settingDefs(ctx)) out.push(await settingView(ctx, def));
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Changes an instance setting (validated by its schema, secrets encrypted); applies without a restart.
 * The operator's own log records it (every admin action is logged, see app.ts), with the fields changed.
 */
export async function updateSetting(ctx: ActorCtx, key: string, value: Record<string, unknown>): Promise<SettingView> {
  const def = settingDefs(ctx).find((d) => d.key === key);
  if (!def) throw new AppError('not_found', `There is no setting "${key}".`);
  const current = (await ctx.deps.settings.get(def)) as Record<string, unknown>;
  const merged = { ...current, ...value };
  // Secret fields not sent keep their stored value.
  for (const f of def.secretFields ?? []) if (!(f in value)) delete merged[f];
  const parsed = def.schema.safeParse({ ...current, ...value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: `value.${i.path.join('.')}`, message: i.message }));
    throw new AppError('invalid_input', `${issues[0]?.path}: ${issues[0]?.message}`, { issues });
  }
  await ctx.deps.settings.set(ctx.db, def, merged, ctx.actor.accountId);
  ctx.log.info({ key, fields: Object.keys(value), by: ctx.actor.accountId }, 'instance setting changed');
  return settingView(ctx, def);
}

/** Finds a space from what an operator types: a space id, or the email of its owner (their personal space). */
export async function resolveSpace(ctx: Ctx, ref: string): Promise<{ id: string; kind: string }> {
  if (isUuid(ref)) {
    const s = await ctx.db.selectFrom('space').select(['id', 'kind']).where('id', '=', ref).executeTakeFirst();
    if (s) return s;
  }
  const accountId = await findAccountIdByEmail(ctx.db, ref);
  if (accountId) {
    const s = await ctx.db
      .selectFrom('account')
      .innerJoin('space', 'space.id', 'account.personal_space_id')
      .select(['space.id', 'space.kind'])
      .where('account.id', '=', accountId)
      .executeTakeFirst();
    if (s) return s;
  }
  throw new AppError('not_found', `No space or account matches "${ref}".`);
}

/**
 * `csme admin plan SPACE PLAN`: an operator grants a plan to a personal space (Free or Personal Pro).
 * Granted plans (provider `manual`) renew without invoices; paid ones go through billing.
 */
export async function setSpacePlan(ctx: Ctx, spaceRef: string, planId: string): Promise<{ spaceId: string }> {
  const space = await resolveSpace(ctx, spaceRef);
  if (space.kind !== 'personal')
    throw new AppError('invalid_input', 'Only personal spaces hold Free or Personal Pro; a family space holds Family.');
  if (planId !== 'free' && planId !== 'pro') throw new AppError('invalid_input', 'A personal space can be set to "free" or "pro".');
  await ctx.db.transaction().execute(async (tx) => {
    await setBasePlan(tx, { spaceId: space.id, planId, now: ctx.now(), provider: planId === 'free' ? 'none' : 'manual' });
    await applyPlanLimits({ ...ctx, db: tx }, space.id);
  });
  return { spaceId: space.id };
}

/** `csme admin family create ACCOUNT`: a family space with the Family plan, owned by that account. */
export async function createFamily(ctx: Ctx, accountRef: string, name?: string): Promise<{ spaceId: string }> {
  const accountId = isUuid(accountRef) ? accountRef : await findAccountIdByEmail(ctx.db, accountRef);
  const account = accountId
    ? await ctx.db.selectFrom('account').select(['id', 'display_name']).where('id', '=', accountId).executeTakeFirst()
    : undefined;
  if (!account) throw new AppError('not_found', `No account matches "${accountRef}".`);
  const spaceId = await ctx.db.transaction().execute((tx) =>
    createFamilySpace(tx, {
      ownerAccountId: account.id,
      name: name ?? `${account.display_name}'s family`,
      now: ctx.now(),
      provider: 'manual',
    }),
  );
  return { spaceId };
}

// ---------------------------------------------------------------- people and spaces

const encodeCursor = (at: Date, id: string) => Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
function decodeCursor(c: string | undefined): { at: Date; id: string } | undefined {
  if (!c) return undefined;
  const [at, id] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  const d = new Date(at ?? '');
  if (!id || !isUuid(id) || Number.isNaN(d.getTime())) throw new AppError('invalid_input', 'query.cursor: is not a cursor from this list');
  return { at: d, id };
}

export async function listAccounts(
  ctx: Ctx,
  q: { q?: string; status: 'all' | 'active' | 'suspended'; limit: number; cursor?: string },
): Promise<{ items: AdminAccountSummary[]; nextCursor: string | null }> {
  const rows = await searchAccounts(ctx.deps.db, { ...q, before: decodeCursor(q.cursor), now: ctx.now() });
  const items = rows.slice(0, q.limit).map(
    (r): AdminAccountSummary => ({
      id: r.id,
      email: r.email,
      displayName: r.display_name,
      isOperator: r.is_operator,
      createdAt: r.created_at.toISOString(),
      suspendedAt: r.suspended_at?.toISOString() ?? null,
      personalSpaceId: r.personal_space_id,
      planId: r.plan_id,
      planName: r.plan_name,
      runsUsed: Number(r.runs_used),
      runsLimit: r.runs_limit === null ? null : Number(r.runs_limit) + Number(r.runs_extra),
      supportAccessUntil: r.support_until ? new Date(r.support_until).toISOString() : null,
    }),
  );
  const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
}

export async function listSpaces(ctx: Ctx, q: { q?: string; limit: number; cursor?: string }) {
  const rows = await searchSpaces(ctx.deps.db, { ...q, before: decodeCursor(q.cursor) });
  const items = rows.slice(0, q.limit).map(
    (r): AdminSpaceSummary => ({
      id: r.id,
      name: r.name,
      kind: r.kind as AdminSpaceSummary['kind'],
      ownerEmail: r.owner_email,
      planId: r.plan_id,
      planName: r.plan_name,
      members: Number(r.members),
      createdAt: r.created_at.toISOString(),
    }),
  );
  const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor(last.created_at, last.id) : null };
}

/** One space as operators see it: plan, this quota month's usage and cost, members. */
export async function getSpace(ctx: Ctx, spaceId: string): Promise<AdminSpaceView> {
  const db = ctx.deps.db;
  const space = await findSpace(db, spaceId);
  if (!space) throw new AppError('not_found', 'That space was not found.');
  const ent = await getEntitlements(db, spaceId, ctx.now());
  const runs = await findUsageRow(db, spaceId, ent.quota.start);
  const usage: AdminSpaceView['usage'] = [{ key: 'runs', used: runs?.used ?? 0, limit: ent.limits.runsPerMonth + (runs?.extra ?? 0) }];
  for (const key of ['packs', 'agents', 'connectors', 'members'] as const) {
    const meter = ctx.deps.usageMeters[key];
    // A count limit; connectors are limited by kind ("basic" or "all"), not by a number.
    const limit = (ent.limits as Record<string, unknown>)[key];
    if (meter) usage.push({ key, used: await meter(db, spaceId), limit: typeof limit === 'number' ? limit : null });
  }
  const cost = await costOfSpace(ctx, spaceId, ent.quota.start, ent.quota.end);
  return {
    id: space.id,
    name: space.name,
    kind: space.kind as AdminSpaceView['kind'],
    createdAt: space.created_at.toISOString(),
    ownerAccountId: space.owner_account_id,
    ownerEmail: space.owner_email,
    ownerSuspended: Boolean(space.owner_suspended_at),
    planId: ent.plan.id,
    planName: ent.plan.name,
    planVersion: ent.plan.version,
    subscriptionStatus: ent.subscription.status,
    quotaPeriod: { start: ent.quota.start.toISOString(), end: ent.quota.end.toISOString() },
    usage,
    costMicros: cost.costMicros,
    labOptedOut: await isOptedOut(db, spaceId),
    members: (await listMembers(db, spaceId)).map((m) => ({ accountId: m.id, email: m.email, displayName: m.display_name, role: m.role })),
  };
}

export async function getAccount(ctx: Ctx, accountId: string): Promise<AdminAccountDetail> {
  const db = ctx.deps.db;
  const a = await findAccountRow(db, accountId);
  if (!a) throw new AppError('not_found', 'That account was not found.');
  const spaces: AdminAccountDetail['spaces'] = [];
  for (const m of await listSpaceRolesOf(db, accountId)) spaces.push({ ...(await getSpace(ctx, m.space_id)), role: m.role });
  const personal = spaces.find((s) => s.id === a.personal_space_id);
  const runs = personal?.usage.find((u) => u.key === 'runs');
  const grant = await findLiveGrant(db, accountId, ctx.now());
  return {
    id: a.id,
    email: a.email,
    displayName: a.display_name,
    isOperator: a.is_operator,
    createdAt: a.created_at.toISOString(),
    suspendedAt: a.suspended_at?.toISOString() ?? null,
    personalSpaceId: a.personal_space_id,
    planId: personal?.planId ?? null,
    planName: personal?.planName ?? null,
    runsUsed: runs?.used ?? 0,
    runsLimit: runs?.limit ?? null,
    supportAccessUntil: grant?.expires_at.toISOString() ?? null,
    totpEnabled: Boolean(a.totp_enabled_at),
    supportAccess: grant ? { grantedAt: grant.granted_at.toISOString(), expiresAt: grant.expires_at.toISOString() } : null,
    impersonations: (await listImpersonations(db, accountId, ctx.now())).length,
    spaces,
  };
}

async function personalSpaceOf(ctx: Ctx, accountId: string): Promise<string> {
  const a = await findAccountRow(ctx.deps.db, accountId);
  if (!a?.personal_space_id) throw new AppError('not_found', 'That account was not found.');
  return a.personal_space_id;
}

/**
 * Suspends an account: it cannot sign in, its sessions end, and its agents stop (admission refuses
 * them and queued runs end unrun). Nothing is deleted. Logged in the person's log, and they are emailed.
 */
export async function suspend(ctx: ActorCtx, accountId: string, reason: string): Promise<AdminAccountDetail> {
  if (accountId === ctx.actor.accountId) throw new AppError('conflict', 'You cannot suspend your own account.');
  const target = await findAccountRow(ctx.deps.db, accountId);
  if (!target?.personal_space_id) throw new AppError('not_found', 'That account was not found.');
  if (target.suspended_at) throw new AppError('conflict', `${target.email} is suspended already.`);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    await suspendAccount(tx, accountId, ctx.now());
    await endImpersonationSessions(tx, accountId);
    await logActivity(
      tx,
      {
        spaceId: target.personal_space_id!,
        actorKind: 'operator',
        actorAccountId: ctx.actor.accountId,
        kind: 'account.suspended',
        objectType: 'account',
        objectId: accountId,
        summary: `The operators suspended this account: ${reason}`,
        data: { reason },
      },
      ctx.now(),
    );
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: target.personal_space_id!,
        accountId,
        kind: 'account.suspended',
        title: 'Your account is suspended',
        body: `The operators of this instance suspended your account: ${reason}. You cannot sign in and your agents do not run until it is restored; nothing was deleted. Reply to them to sort it out.`,
        email: true,
      },
    );
  });
  ctx.log.warn({ accountId, by: ctx.actor.accountId }, 'account suspended');
  return getAccount(ctx, accountId);
}

export async function restore(ctx: ActorCtx, accountId: string): Promise<AdminAccountDetail> {
  const target = await findAccountRow(ctx.deps.db, accountId);
  if (!target?.personal_space_id) throw new AppError('not_found', 'That account was not found.');
  if (!target.suspended_at) throw new AppError('conflict', `${target.email} is not suspended.`);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    await restoreAccount(tx, accountId, ctx.now());
    await logActivity(
      tx,
      {
        spaceId: target.personal_space_id!,
        actorKind: 'operator',
        actorAccountId: ctx.actor.accountId,
        kind: 'account.restored',
        objectType: 'account',
        objectId: accountId,
        summary: 'The operators restored this account: it can sign in and its agents run again',
      },
      ctx.now(),
    );
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: target.personal_space_id!,
        accountId,
        kind: 'account.restored',
        title: 'Your account is restored',
        body: 'You can sign in again, and your agents run as before.',
        url: '/',
        email: true,
      },
    );
  });
  ctx.log.info({ accountId, by: ctx.actor.accountId }, 'account restored');
  return getAccount(ctx, accountId);
}

// ---------------------------------------------------------------- consent to operator access, impersonation

export async function getSupportAccess(ctx: ActorCtx): Promise<SupportAccessView> {
  const db = ctx.deps.db;
  const now = ctx.now();
  const grant = await findLiveGrant(db, ctx.actor.accountId, now);
  const sessions = await listImpersonations(db, ctx.actor.accountId, now);
  let actingAs: SupportAccessView['actingAs'] = null;
  if (ctx.actor.impersonatorAccountId && ctx.actor.sessionId) {
    const op = await findAccountRow(db, ctx.actor.impersonatorAccountId);
    const s = await findSessionExpiry(db, ctx.actor.sessionId);
    actingAs = {
      accountName: ctx.actor.displayName,
      operatorName: op?.display_name ?? 'An operator',
      expiresAt: (s?.expires_at ?? now).toISOString(),
    };
  }
  return {
    grant: grant ? { grantedAt: grant.granted_at.toISOString(), expiresAt: grant.expires_at.toISOString() } : null,
    impersonations: sessions.map((s) => ({
      operatorName: s.operator_name,
      startedAt: s.created_at.toISOString(),
      expiresAt: s.expires_at.toISOString(),
    })),
    actingAs,
  };
}

function ownSessionOnly(ctx: ActorCtx): void {
  if (ctx.actor.impersonatorAccountId)
    throw new AppError('forbidden', 'Only the person can change operator access; an operator acting as them cannot.');
}

const until = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** The person allows operator access for `hours` (replacing a grant they gave before); logged in their log. */
export async function grantSupportAccess(ctx: ActorCtx, hours: number): Promise<SupportAccessView> {
  ownSessionOnly(ctx);
  const spaceId = await personalSpaceOf(ctx, ctx.actor.accountId);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + hours * 3_600_000);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    await revokeGrants(tx, ctx.actor.accountId, now);
    await insertGrant(tx, { id: newId(), account_id: ctx.actor.accountId, granted_at: now, expires_at: expiresAt });
    await logActivity(
      tx,
      {
        spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'access.granted',
        summary: `You allowed the operators to act as you until ${until(expiresAt)}`,
        data: { hours, expiresAt: expiresAt.toISOString() },
      },
      now,
    );
  });
  return getSupportAccess(ctx);
}

/** The person withdraws operator access: the grant ends and any operator acting as them is signed out. */
export async function revokeSupportAccess(ctx: ActorCtx): Promise<SupportAccessView> {
  ownSessionOnly(ctx);
  const spaceId = await personalSpaceOf(ctx, ctx.actor.accountId);
  const now = ctx.now();
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const revoked = await revokeGrants(tx, ctx.actor.accountId, now);
    const ended = await endImpersonationSessions(tx, ctx.actor.accountId);
    if (!revoked && !ended) return;
    await logActivity(
      tx,
      {
        spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'access.revoked',
        summary: ended
          ? `You withdrew operator access; ${ended} operator session${ended === 1 ? '' : 's'} ended`
          : 'You withdrew operator access',
      },
      now,
    );
  });
  return getSupportAccess(ctx);
}

/**
 * An operator acts as a person who allowed it: a session of theirs, in their personal space, that ends
 * with the consent (or after IMPERSONATION_MAX_MS). Logged in the person's log and in the operator's,
 * and the person is told at once (and sees it in the app while it lasts).
 */
export async function impersonate(ctx: ActorCtx, accountId: string, meta: RequestMeta): Promise<NewSession> {
  if (ctx.actor.impersonatorAccountId) throw new AppError('forbidden', 'Stop acting as someone before acting as someone else.');
  const target = await findAccountRow(ctx.deps.db, accountId);
  if (!target?.personal_space_id) throw new AppError('not_found', 'That account was not found.');
  if (target.id === ctx.actor.accountId) throw new AppError('conflict', 'That is your own account.');
  if (target.is_operator) throw new AppError('forbidden', 'Operators cannot act as other operators.');
  if (target.suspended_at) throw new AppError('conflict', `${target.email} is suspended: restore the account first.`);
  const now = ctx.now();
  const grant = await findLiveGrant(ctx.deps.db, accountId, now);
  if (!grant)
    throw new AppError(
      'forbidden',
      `${target.display_name} has not allowed operator access. Ask them to allow it in Settings → Operator access; it is time-limited and they can withdraw it.`,
      { reason: 'no_consent' },
    );
  const expiresAt = impersonationEnds(now, grant.expires_at);
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const c = { ...ctx, db: tx };
    const session = await openImpersonationSession(c, { accountId, impersonatorAccountId: ctx.actor.accountId, expiresAt, meta });
    await logActivity(
      tx,
      {
        spaceId: target.personal_space_id!,
        actorKind: 'operator',
        actorAccountId: ctx.actor.accountId,
        kind: 'access.started',
        summary: `${ctx.actor.displayName} (operator) started acting as you, with your consent, until ${until(expiresAt)}`,
        data: { operatorAccountId: ctx.actor.accountId, expiresAt: expiresAt.toISOString() },
      },
      now,
    );
    await notify(c, {
      spaceId: target.personal_space_id!,
      accountId,
      kind: 'access.started',
      title: `${ctx.actor.displayName} (operator) is acting as you`,
      body: `With the access you allowed, until ${until(expiresAt)}. You can withdraw it at once in Settings → Operator access.`,
      url: '/settings',
      email: true,
    });
    ctx.log.warn({ accountId, by: ctx.actor.accountId, expiresAt }, 'operator acting as a person');
    return session;
  });
}

/** The operator stops acting as the person: the session ends; both logs record it. */
export async function stopImpersonation(ctx: ActorCtx): Promise<void> {
  const operatorId = ctx.actor.impersonatorAccountId;
  if (!operatorId || !ctx.actor.sessionId) throw new AppError('conflict', 'This session is not an operator acting as someone.');
  const personSpace = await personalSpaceOf(ctx, ctx.actor.accountId);
  const operatorSpace = await personalSpaceOf(ctx, operatorId);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    await deleteSessionById(tx, ctx.actor.sessionId!);
    const op = await findAccountRow(tx, operatorId);
    await logActivity(
      tx,
      {
        spaceId: personSpace,
        actorKind: 'operator',
        actorAccountId: operatorId,
        kind: 'access.stopped',
        summary: `${op?.display_name ?? 'The operator'} stopped acting as you`,
      },
      ctx.now(),
    );
    await logActivity(
      tx,
      {
        spaceId: operatorSpace,
        actorKind: 'operator',
        actorAccountId: operatorId,
        kind: 'admin.action',
        objectType: 'account',
        objectId: ctx.actor.accountId,
        summary: `Stopped acting as ${ctx.actor.email}`,
      },
      ctx.now(),
    );
  });
}
