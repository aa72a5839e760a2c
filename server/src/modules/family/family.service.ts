import type { SessionView } from '@csme/contracts/accounts';
import type {
  FamilyView,
  InvitationPreview,
  InvitationView,
  InviteInput,
  MemberRole,
  MemberView,
  MoveReport,
} from '@csme/contracts/family';
import { sha256 } from '#core/crypto.js';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import { type Db, inSystemTransaction, tenantScopeOf } from '#core/db.js';
import { AppError, notFound } from '#core/errors.js';
import { newId } from '#core/ids.js';
import { normalizeEmail, switchSpace } from '#modules/accounts/index.js';
import { logActivity } from '#modules/activity/index.js';
import { credentialsScope } from '#modules/connectors/index.js';
import { notify, queueEmail, renderEmail } from '#modules/notifications/index.js';
import { applyPlanLimits, assertWithinLimit, getEntitlements, lockSpaceForLimits } from '#modules/plans/index.js';
import { familySetting } from './family.config.js';
import {
  assertFamilySpace,
  assertOwner,
  checkInvitationSignature,
  invitationIdOf,
  invitationRefused,
  invitationState,
  signInvitation,
  writableWhileReadOnly,
} from './family.policy.js';
import { presentInvitation, presentMember } from './family.presenter.js';
import {
  countMembers,
  countPendingInvitations,
  deleteMembership,
  deleteSpace,
  digestFor,
  findAccountByEmail,
  findInvitation,
  findInvitationById,
  findMember,
  findPersonalSpaceOf,
  findSpace,
  insertInvitation,
  listActiveFamilySpaces,
  listFamilySpacesWithoutFamilyPlan,
  listMembers,
  listPendingInvitations,
  listSecretsToMove,
  listSpacesDueForDeletion,
  type MoveSpec,
  markInvitation,
  moveSessionsOut,
  moveTable,
  OBJECT_TABLES,
  reassignReminders,
  reuniteChildren,
  revokePendingFor,
  setAgentWebhookSecret,
  setConnectorCredentials,
  setModelApiKey,
  setSpaceOwner,
  spaceOfRow,
  updateMemberRole,
  updateSpaceEnding,
} from './family.repository.js';

const day = (d: Date) => d.toISOString().slice(0, 10);

// ---------------------------------------------------------------- reading

export async function getFamily(ctx: ActorCtx): Promise<FamilyView> {
  const now = ctx.now();
  return inSpace(ctx, async (c) => {
    const space = await findSpace(c.db, ctx.actor.spaceId);
    if (!space) throw notFound('That space');
    const members = await listMembers(c.db, ctx.actor.spaceId);
    const isOwner = ctx.actor.role === 'owner' && space.kind === 'family';
    const invitations = isOwner ? await listPendingInvitations(c.db, ctx.actor.spaceId, now) : [];
    const ent = await getEntitlements(c.db, ctx.actor.spaceId, now);
    const pending = space.kind === 'family' ? await countPendingInvitations(c.db, ctx.actor.spaceId, now) : 0;
    return {
      space: {
        id: space.id,
        name: space.name,
        kind: space.kind as 'personal' | 'family',
        status: space.status as FamilyView['space']['status'],
        readOnlySince: space.read_only_since?.toISOString() ?? null,
        deleteAfter: space.delete_after?.toISOString() ?? null,
      },
      myRole: ctx.actor.role,
      members: members.map((m) => presentMember(m, ctx.actor.accountId)),
      invitations: invitations.map((i) => presentInvitation(i, now)),
      limit: { members: ent.limits.members, used: members.length + pending },
    };
  });
}

/** 403 with the reason for a change to a family space whose Family plan has ended (read-only until it is deleted). */
export async function assertSpaceWritable(ctx: Ctx, method: string, url: string): Promise<void> {
  const actor = ctx.actor;
  if (!actor || actor.spaceKind !== 'family' || writableWhileReadOnly(method, url)) return;
  const space = await findSpace(ctx.deps.db, actor.spaceId);
  if (space && space.status !== 'active')
    throw new AppError(
      'forbidden',
      `This family space is read-only since its Family plan ended${space.delete_after ? `; it will be deleted on ${day(space.delete_after)}` : ''}. Export what you need, or subscribe to Family again.`,
      { reason: 'read_only', deleteAfter: space.delete_after?.toISOString() ?? null },
    );
}

// ---------------------------------------------------------------- invitations

export async function createInvitation(ctx: ActorCtx, input: InviteInput): Promise<{ invitation: InvitationView; link: string }> {
  assertOwner(ctx.actor);
  const now = ctx.now();
  const settings = await ctx.deps.settings.get(familySetting);
  const email = normalizeEmail(input.email);
  const id = newId();
  const expiresAt = new Date(now.getTime() + settings.invitationDays * 86_400_000);
  const token = signInvitation(ctx.deps.keys.session, id, expiresAt);
  const link = `${ctx.deps.config.http.publicUrl}/join#token=${encodeURIComponent(token)}`;
  const row = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    // Concurrent invitations take turns: the limit counts members and pending invitations under one lock.
    await lockSpaceForLimits(c.db, ctx.actor.spaceId);
    const members = await listMembers(c.db, ctx.actor.spaceId);
    if (members.some((m) => normalizeEmail(m.email) === email))
      throw new AppError('conflict', 'This person is already a member of the family.', { reason: 'already_member' });
    await revokePendingFor(c.db, ctx.actor.spaceId, email, now);
    const ent = await getEntitlements(c.db, ctx.actor.spaceId, now);
    const used = members.length + (await countPendingInvitations(c.db, ctx.actor.spaceId, now));
    await assertWithinLimit(c.db, ent, 'members', used);
    await insertInvitation(c.db, {
      id,
      space_id: ctx.actor.spaceId,
      email: input.email.trim(),
      email_normalized: email,
      role: input.role,
      token_hash: sha256(token),
      invited_by_account_id: ctx.actor.accountId,
      expires_at: expiresAt,
    });
    const space = (await findSpace(c.db, ctx.actor.spaceId))!;
    const invitee = await findAccountByEmail(c.db, email);
    const he = (invitee?.locale ?? ctx.actor.locale) === 'he';
    await queueEmail(c, {
      to: email,
      kind: 'family_invitation',
      spaceId: ctx.actor.spaceId,
      email: renderEmail({
        locale: he ? 'he' : 'en',
        subject: he ? `${ctx.actor.displayName} מזמין/ה אותך ל־${space.name}` : `${ctx.actor.displayName} invites you to ${space.name}`,
        greeting: he ? 'שלום,' : 'Hello,',
        paragraphs: he
          ? [
              `${ctx.actor.displayName} מזמין/ה אותך להצטרף למרחב המשפחתי "${space.name}" ב־connectsoft.me.`,
              `הקישור פועל פעם אחת, עד ${day(expiresAt)}. אפשר להירשם או להתחבר עם הכתובת הזו.`,
            ]
          : [
              `${ctx.actor.displayName} invites you to join the family space "${space.name}" on connectsoft.me.`,
              `The link works once, until ${day(expiresAt)}. Sign up or sign in with this address to accept, or decline.`,
            ],
        action: { label: he ? 'לצפייה בהזמנה' : 'See the invitation', url: link },
        footer: he ? 'אם לא ציפית להזמנה, אפשר להתעלם מהמייל.' : 'If you did not expect this, ignore this email.',
      }),
    });
    await logActivity(
      c.db,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.invited',
        objectType: 'family_invitation',
        objectId: id,
        summary: `Invited ${input.email.trim()} as ${input.role}`,
      },
      now,
    );
    return (await findInvitation(c.db, ctx.actor.spaceId, id))!;
  });
  ctx.log.info({ invitationId: id }, 'family invitation created');
  return { invitation: presentInvitation(row, now), link };
}

export async function revokeInvitation(ctx: ActorCtx, id: string): Promise<InvitationView> {
  assertOwner(ctx.actor);
  const now = ctx.now();
  return inSpace(ctx, async (c) => {
    const row = await findInvitation(c.db, ctx.actor.spaceId, id);
    if (!row) throw notFound('That invitation');
    if (invitationState(row, now) !== 'pending') throw new AppError('conflict', 'Only a pending invitation can be withdrawn.');
    await markInvitation(c.db, id, { status: 'revoked', now });
    return presentInvitation((await findInvitation(c.db, ctx.actor.spaceId, id))!, now);
  });
}

/** The invitation behind a link, checked (signature, single use, expiry, the space still open). System read. */
async function usableInvitation(ctx: Ctx, db: Db, token: string, lock: boolean) {
  const id = invitationIdOf(token);
  const row = id ? await findInvitationById(db, id, lock) : undefined;
  if (!row || !checkInvitationSignature(ctx.deps.keys.session, token, row.id, row.expires_at) || !sha256(token).equals(row.token_hash))
    throw invitationRefused('invalid');
  const state = invitationState(row, ctx.now());
  if (state !== 'pending') throw invitationRefused(state);
  if (row.space_status !== 'active') throw invitationRefused('space_closed');
  return row;
}

export async function previewInvitation(ctx: Ctx, token: string): Promise<InvitationPreview> {
  const row = await usableInvitation(ctx, ctx.deps.db, token, false);
  return {
    spaceName: row.space_name,
    invitedBy: row.invited_by_name,
    email: row.email,
    role: row.role as MemberRole,
    expiresAt: row.expires_at.toISOString(),
  };
}

export async function acceptInvitation(ctx: ActorCtx, token: string): Promise<SessionView> {
  const now = ctx.now();
  const spaceId = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const row = await usableInvitation(ctx, tx, token, true);
    if (normalizeEmail(ctx.actor.email) !== row.email_normalized)
      throw new AppError(
        'forbidden',
        `This invitation is for ${row.email}. Sign in with that address to accept it (you are signed in as ${ctx.actor.email}).`,
        { reason: 'other_email' },
      );
    if (await findMember(tx, row.space_id, ctx.actor.accountId))
      throw new AppError('conflict', 'You are already a member of this family.', { reason: 'already_member' });
    await lockSpaceForLimits(tx, row.space_id);
    const ent = await getEntitlements(tx, row.space_id, now);
    await assertWithinLimit(tx, ent, 'members', await countMembers(tx, row.space_id));
    await tx
      .insertInto('membership')
      .values({ id: newId(), space_id: row.space_id, account_id: ctx.actor.accountId, role: row.role })
      .execute();
    await markInvitation(tx, row.id, { status: 'accepted', now, acceptedAccountId: ctx.actor.accountId });
    const c: Ctx = { ...ctx, db: tx };
    if (row.invited_by_account_id)
      await notify(c, {
        spaceId: row.space_id,
        accountId: row.invited_by_account_id,
        kind: 'family.joined',
        title: `${ctx.actor.displayName} joined ${row.space_name}`,
        url: '/family',
      });
    await logActivity(
      tx,
      {
        spaceId: row.space_id,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.joined',
        objectType: 'membership',
        objectId: ctx.actor.accountId,
        summary: `${ctx.actor.displayName} joined as ${row.role}`,
      },
      now,
    );
    return row.space_id;
  });
  ctx.log.info({ spaceId }, 'family invitation accepted');
  return switchSpace(ctx, spaceId);
}

export async function declineInvitation(ctx: Ctx, token: string): Promise<void> {
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const row = await usableInvitation(ctx, tx, token, true);
    await markInvitation(tx, row.id, { status: 'declined', now: ctx.now() });
    if (row.invited_by_account_id)
      await notify(
        { ...ctx, db: tx },
        {
          spaceId: row.space_id,
          accountId: row.invited_by_account_id,
          kind: 'family.declined',
          title: `${row.email} declined the invitation to ${row.space_name}`,
          url: '/family',
        },
      );
  });
}

// ---------------------------------------------------------------- members

async function getOtherMember(db: Db, actor: ActorCtx['actor'], accountId: string) {
  const m = await findMember(db, actor.spaceId, accountId);
  if (!m) throw notFound('That member');
  return m;
}

export async function changeRole(ctx: ActorCtx, accountId: string, role: MemberRole): Promise<MemberView> {
  assertOwner(ctx.actor);
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const m = await getOtherMember(tx, ctx.actor, accountId);
    if (m.role === 'owner')
      throw new AppError('conflict', 'The owner’s role changes only by transferring ownership to another adult.', { reason: 'owner_role' });
    await updateMemberRole(tx, ctx.actor.spaceId, accountId, role);
    await logActivity(
      tx,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.role_changed',
        objectType: 'membership',
        objectId: accountId,
        summary: `${m.display_name} is now ${role === 'adult' ? 'an adult' : 'a child'}`,
      },
      ctx.now(),
    );
    return presentMember({ ...m, role }, ctx.actor.accountId);
  });
}

export async function removeMember(ctx: ActorCtx, accountId: string): Promise<MoveReport> {
  assertOwner(ctx.actor);
  if (accountId === ctx.actor.accountId)
    throw new AppError('conflict', 'You own this family: transfer ownership to another adult before you leave.', {
      reason: 'owner_must_transfer',
    });
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const m = await getOtherMember(tx, ctx.actor, accountId);
    const report = await takeMemberOut({ ...ctx, db: tx }, ctx.actor.spaceId, accountId);
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: await findPersonalSpaceOf(tx, accountId),
        accountId,
        kind: 'family.removed',
        title: `You are no longer a member of the family space`,
        body: 'Your private lists, notes, reminders and other private items moved to your personal space; over its plan’s limits they are paused, never deleted.',
        url: '/',
        email: true,
      },
    );
    await logActivity(
      tx,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.removed',
        objectType: 'membership',
        objectId: accountId,
        summary: `${m.display_name} was removed from the family`,
      },
      ctx.now(),
    );
    return report;
  });
}

export async function leaveFamily(ctx: ActorCtx): Promise<{ report: MoveReport; session: SessionView }> {
  assertFamilySpace(ctx.actor);
  if (ctx.actor.role === 'owner')
    throw new AppError('conflict', 'You own this family: transfer ownership to another adult before you leave.', {
      reason: 'owner_must_transfer',
    });
  const spaceId = ctx.actor.spaceId;
  const { report, personal } = await inSystemTransaction(ctx.deps.db, async (tx) => {
    const report = await takeMemberOut({ ...ctx, db: tx }, spaceId, ctx.actor.accountId);
    await logActivity(
      tx,
      {
        spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.left',
        objectType: 'membership',
        objectId: ctx.actor.accountId,
        summary: `${ctx.actor.displayName} left the family`,
      },
      ctx.now(),
    );
    return { report, personal: await findPersonalSpaceOf(tx, ctx.actor.accountId) };
  });
  return { report, session: await switchSpace(ctx, personal) };
}

export async function transferOwnership(ctx: ActorCtx, accountId: string): Promise<FamilyView> {
  assertOwner(ctx.actor);
  if (accountId === ctx.actor.accountId) throw new AppError('conflict', 'You already own this family.');
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const m = await getOtherMember(tx, ctx.actor, accountId);
    if (m.role !== 'adult')
      throw new AppError('conflict', 'Only an adult member can own the family; make them an adult first.', { reason: 'not_adult' });
    await updateMemberRole(tx, ctx.actor.spaceId, accountId, 'owner');
    await updateMemberRole(tx, ctx.actor.spaceId, ctx.actor.accountId, 'adult');
    await setSpaceOwner(tx, ctx.actor.spaceId, accountId, ctx.now());
    await notify(
      { ...ctx, db: tx },
      {
        spaceId: ctx.actor.spaceId,
        accountId,
        kind: 'family.owner',
        title: `${ctx.actor.displayName} made you the owner of the family`,
        body: 'You now invite and remove members, change roles, and manage the Family plan and its billing.',
        url: '/family',
        email: true,
      },
    );
    await logActivity(
      tx,
      {
        spaceId: ctx.actor.spaceId,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.owner_changed',
        objectType: 'membership',
        objectId: accountId,
        summary: `${m.display_name} is now the owner`,
      },
      ctx.now(),
    );
  });
  return getFamily({ ...ctx, actor: { ...ctx.actor, role: 'adult' } });
}

/** A notification to one member of the active space ("remind Dana…" is reminders; this is a message now). */
export async function nudgeMember(ctx: ActorCtx, accountId: string, message: string): Promise<void> {
  assertFamilySpace(ctx.actor);
  await inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    await getOtherMember(c.db, ctx.actor, accountId);
    await notify(c, {
      spaceId: ctx.actor.spaceId,
      accountId,
      kind: 'family.message',
      title: `${ctx.actor.displayName}: ${message}`,
      url: '/family',
    });
  });
}

// ---------------------------------------------------------------- moving objects out of a family space

const emptyReport = (): MoveReport => ({ moved: {}, kept: {} });

/**
 * Moves objects into a personal space in the caller's system transaction: the private objects of one
 * member, or (when the Family plan ended) the shared ones into the owner's. Secrets bound to the family
 * space (connector credentials, model keys, webhook secrets) are re-encrypted for the personal space.
 * Then the personal space's plan limits apply: what is over them is paused, never deleted.
 */
async function moveObjects(ctx: Ctx, m: MoveSpec): Promise<MoveReport> {
  const db = ctx.db;
  const vault = ctx.deps.vault;
  const secrets = await listSecretsToMove(db, m);
  const plain = {
    connectors: await Promise.all(
      secrets.connectors.map(async (r) => {
        const hosts = (r.config as { hosts?: string[] }).hosts ?? [];
        return { id: r.id, hosts, text: await vault.decryptString(credentialsScope(m.from, r.id, hosts), r.credentials!) };
      }),
    ),
    models: await Promise.all(
      secrets.models.map(async (r) => ({
        id: r.id,
        text: await vault.decryptString({ spaceId: m.from, purpose: 'model.api-key', recordId: r.id }, r.api_key),
      })),
    ),
    agents: await Promise.all(
      secrets.agents.map(async (r) => ({
        id: r.id,
        text: await vault.decryptString({ spaceId: m.from, purpose: 'agent.webhook-secret', recordId: r.id }, r.webhook_secret!),
      })),
    ),
  };
  const report = emptyReport();
  for (const table of OBJECT_TABLES) {
    const [moved, kept] = await moveTable(db, table, m);
    if (moved) report.moved[table] = moved;
    if (kept) report.kept[table] = kept;
  }
  await reuniteChildren(db, m);
  for (const r of plain.connectors)
    if ((await spaceOfRow(db, 'connector', r.id)) === m.to)
      await setConnectorCredentials(db, r.id, await vault.encryptString(credentialsScope(m.to, r.id, r.hosts), r.text));
  for (const r of plain.models)
    if ((await spaceOfRow(db, 'model_credential', r.id)) === m.to)
      await setModelApiKey(db, r.id, await vault.encryptString({ spaceId: m.to, purpose: 'model.api-key', recordId: r.id }, r.text));
  for (const r of plain.agents)
    if ((await spaceOfRow(db, 'agent', r.id)) === m.to)
      await setAgentWebhookSecret(
        db,
        r.id,
        await vault.encryptString({ spaceId: m.to, purpose: 'agent.webhook-secret', recordId: r.id }, r.text),
      );
  await lockSpaceForLimits(db, m.to);
  await applyPlanLimits(ctx, m.to);
  return report;
}

/** A member leaves (or is removed): private objects to their personal space, membership gone, sessions moved. */
async function takeMemberOut(ctx: Ctx, spaceId: string, accountId: string): Promise<MoveReport> {
  const personal = await findPersonalSpaceOf(ctx.db, accountId);
  const report = await moveObjects(ctx, { from: spaceId, to: personal, owner: accountId, which: 'private' });
  await reassignReminders(ctx.db, spaceId, accountId);
  await deleteMembership(ctx.db, spaceId, accountId);
  await moveSessionsOut(ctx.db, accountId, spaceId, personal);
  ctx.log.info({ spaceId, moved: report.moved }, 'member left the family');
  return report;
}

/** After the Family plan ended: the owner takes the shared objects into their personal space. */
export async function moveSharedToPersonal(ctx: ActorCtx): Promise<MoveReport> {
  assertOwner(ctx.actor);
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const space = await findSpace(tx, ctx.actor.spaceId);
    if (space?.status !== 'read_only')
      throw new AppError('conflict', 'Shared items move to your personal space only after the Family plan has ended.', {
        reason: 'plan_active',
      });
    const personal = await findPersonalSpaceOf(tx, ctx.actor.accountId);
    const report = await moveObjects({ ...ctx, db: tx }, { from: space.id, to: personal, owner: ctx.actor.accountId, which: 'shared' });
    await logActivity(
      tx,
      {
        spaceId: space.id,
        actorKind: 'person',
        actorAccountId: ctx.actor.accountId,
        kind: 'family.shared_moved',
        summary: `The shared items moved to ${ctx.actor.displayName}'s personal space`,
        data: report,
      },
      ctx.now(),
    );
    return report;
  });
}

// ---------------------------------------------------------------- the end of a family space

/**
 * Called whenever a space's plan changed (ModuleDef.enforceLimits): a family space without the Family
 * plan becomes read-only for the configured days (every member is told, with the export offered); one
 * that has the Family plan again becomes active. In a tenant transaction it leaves the work to the sweep.
 */
export async function checkFamilyPlan(ctx: Ctx, spaceId: string): Promise<void> {
  if (tenantScopeOf(ctx.db)) return;
  const space = await findSpace(ctx.db, spaceId);
  if (!space || space.kind !== 'family') return;
  const ent = await getEntitlements(ctx.db, spaceId, ctx.now());
  const hasFamily = ent.plan.id === 'family' && !ent.subscription.restrictedAt;
  if (!hasFamily && space.status === 'active') await startEnding(ctx, spaceId);
  if (hasFamily && space.status === 'read_only') {
    await updateSpaceEnding(ctx.db, spaceId, { status: 'active', read_only_since: null, delete_after: null, now: ctx.now() });
    for (const m of await listMembers(ctx.db, spaceId))
      await notify(ctx, {
        spaceId,
        accountId: m.account_id,
        kind: 'family.plan_back',
        title: `${space.name} is active again`,
        body: 'The Family plan is back: nothing will be deleted, and the family space takes changes again.',
        url: '/family',
      });
  }
}

async function startEnding(ctx: Ctx, spaceId: string): Promise<void> {
  const now = ctx.now();
  const { readOnlyDays } = await ctx.deps.settings.get(familySetting);
  const deleteAfter = new Date(now.getTime() + readOnlyDays * 86_400_000);
  const space = (await findSpace(ctx.db, spaceId))!;
  await updateSpaceEnding(ctx.db, spaceId, { status: 'read_only', read_only_since: now, delete_after: deleteAfter, now });
  for (const m of await listMembers(ctx.db, spaceId)) {
    const he = m.locale === 'he';
    await notify(ctx, {
      spaceId,
      accountId: m.account_id,
      kind: 'family.plan_ended',
      title: he
        ? `תוכנית Family הסתיימה: ${space.name} לקריאה בלבד עד ${day(deleteAfter)}`
        : `The Family plan ended: ${space.name} is read-only until ${day(deleteAfter)}`,
      body: he
        ? 'כדאי לייצא את מה שצריך. בסוף התקופה הפריטים הפרטיים של כל אחד עוברים למרחב האישי שלו, והמרחב המשפחתי נמחק.'
        : `Export what you need (Account → Export your data). On ${day(deleteAfter)} each member's private items move to their personal space and the family space is deleted.${m.role === 'owner' ? ' You can move the shared items into your personal space before then (Family → Move shared items).' : ''}`,
      url: '/family',
      data: { deleteAfter: deleteAfter.toISOString(), exportUrl: '/account/export' },
      email: true,
    });
  }
  await logActivity(
    ctx.db,
    { spaceId, actorKind: 'system', kind: 'family.read_only', summary: `The Family plan ended: read-only until ${day(deleteAfter)}` },
    now,
  );
  ctx.log.info({ spaceId, deleteAfter }, 'family space read-only');
}

/** At the end of the read-only days: each member's private objects go to their personal space, then the space is deleted. */
export async function endFamilySpace(ctx: Ctx, spaceId: string): Promise<boolean> {
  return inSystemTransaction(ctx.deps.db, async (tx) => {
    const c: Ctx = { ...ctx, db: tx };
    await lockSpaceForLimits(tx, spaceId);
    const space = await findSpace(tx, spaceId);
    if (!space || space.kind !== 'family' || space.status === 'active' || !space.delete_after || space.delete_after > ctx.now())
      return false;
    const ent = await getEntitlements(tx, spaceId, ctx.now());
    if (ent.plan.id === 'family' && !ent.subscription.restrictedAt) return false;
    await updateSpaceEnding(tx, spaceId, {
      status: 'deleting',
      read_only_since: space.read_only_since,
      delete_after: space.delete_after,
      now: ctx.now(),
    });
    for (const m of await listMembers(tx, spaceId)) {
      const personal = await findPersonalSpaceOf(tx, m.account_id);
      await moveObjects(c, { from: spaceId, to: personal, owner: m.account_id, which: 'private' });
      await moveSessionsOut(tx, m.account_id, spaceId, personal);
      await notify(c, {
        spaceId: personal,
        accountId: m.account_id,
        kind: 'family.deleted',
        title: `${space.name} has been deleted`,
        body: 'Your private items from it are in your personal space now (over its limits they are paused).',
        url: '/',
        email: true,
      });
    }
    await deleteSpace(tx, spaceId);
    ctx.log.info({ spaceId }, 'family space deleted');
    return true;
  });
}

export interface FamilySweepReport {
  readOnly: number;
  deleted: number;
}

/** The hourly sweep: family spaces whose plan ended become read-only; those past their read-only days are deleted. */
export async function sweepFamilySpaces(ctx: Ctx): Promise<FamilySweepReport> {
  const report: FamilySweepReport = { readOnly: 0, deleted: 0 };
  for (const s of await listFamilySpacesWithoutFamilyPlan(ctx.deps.db)) {
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      await lockSpaceForLimits(tx, s.id);
      await checkFamilyPlan({ ...ctx, db: tx }, s.id);
    });
    report.readOnly++;
  }
  for (const s of await listSpacesDueForDeletion(ctx.deps.db, ctx.now())) if (await endFamilySpace(ctx, s.id)) report.deleted++;
  return report;
}

// ---------------------------------------------------------------- the weekly digest

/** Sends every member of every active family space what concerns them in the coming week. Returns how many were sent. */
export async function sendWeeklyDigests(ctx: Ctx): Promise<number> {
  const now = ctx.now();
  const to = new Date(now.getTime() + 7 * 86_400_000);
  let sent = 0;
  for (const space of await listActiveFamilySpaces(ctx.deps.db)) {
    await inSystemTransaction(ctx.deps.db, async (tx) => {
      for (const m of await listMembers(tx, space.id)) {
        const d = await digestFor(tx, space.id, m.account_id, now, to);
        const he = m.locale === 'he';
        const lines = [
          ...d.reminders.map(
            (r) => `${he ? 'תזכורת' : 'Reminder'}: ${r.title} (${r.due_at.toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
          ),
          ...d.events.map((e) => `${he ? 'אירוע' : 'Event'}: ${e.title} (${e.starts_at.toISOString().slice(0, 16).replace('T', ' ')} UTC)`),
          ...(d.openItems ? [he ? `${d.openItems} פריטים פתוחים ברשימות המשותפות` : `${d.openItems} open items on the shared lists`] : []),
          ...(d.suggestions ? [he ? `${d.suggestions} הצעות מחכות להחלטה` : `${d.suggestions} suggestions wait for a decision`] : []),
        ];
        await notify(
          { ...ctx, db: tx },
          {
            spaceId: space.id,
            accountId: m.account_id,
            kind: 'family.digest',
            title: he ? `השבוע ב־${space.name}` : `Your week in ${space.name}`,
            body: lines.length ? lines.join('\n') : he ? 'אין השבוע שום דבר שמחכה לך.' : 'Nothing waits for you this week.',
            url: '/family',
            data: { reminders: d.reminders.length, events: d.events.length, openItems: d.openItems, suggestions: d.suggestions },
            email: true,
          },
        );
        sent++;
      }
    });
  }
  return sent;
}
