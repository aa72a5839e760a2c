import { signIn, switchSpace } from '@csme/contracts/accounts';
import { getBilling } from '@csme/contracts/billing';
import * as Con from '@csme/contracts/connectors';
import * as F from '@csme/contracts/family';
import { listNotifications } from '@csme/contracts/inbox';
import * as L from '@csme/contracts/lists';
import * as N from '@csme/contracts/notes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '#core/clock.js';
import { systemCtx } from '#core/ctx.js';
import { createFamily } from '#modules/admin/index.js';
import { applyPlanLimits, setBasePlan } from '#modules/plans/index.js';
import { createTestEnv, signedUpClient, type TestEnv } from '#test/harness.js';
import { sendWeeklyDigests, sweepFamilySpaces } from './index.js';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv({ resolver: async () => [{ address: '93.184.216.34', family: 4 }] });
});
afterAll(async () => env?.close());

/** A family space owned by a new person, switched into it. */
async function newFamily() {
  const app = await env.app();
  const owner = await signedUpClient(app, { name: 'Maya' });
  const { spaceId } = await createFamily(systemCtx(env.deps), owner.email);
  await owner.client.ok(switchSpace, { body: { spaceId } });
  return { app, owner, spaceId };
}

const tokenOf = (link: string) => decodeURIComponent(link.split('#token=')[1]!);

describe('invitations', () => {
  it('an invited person signs up, previews and accepts the link, and lands in the family as the invited role', async () => {
    const { app, owner, spaceId } = await newFamily();
    const inv = await owner.client.ok(F.createInvitation, { body: { email: 'Dana.Family@Example.test', role: 'child' } });
    expect(inv.link).toMatch(/\/join#token=/);
    const mail = await env.deps.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('kind', '=', 'family_invitation')
      .where('space_id', '=', spaceId)
      .execute();
    expect(mail).toHaveLength(1);
    expect(mail[0]!.body_text).toContain(inv.link);
    const dana = await signedUpClient(app, { name: 'Dana', email: 'dana.family@example.test' });
    const preview = await dana.client.ok(F.previewInvitation, { body: { token: tokenOf(inv.link) } });
    expect(preview).toMatchObject({ spaceName: "Maya's family", role: 'child', invitedBy: 'Maya' });
    const session = await dana.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    expect(session.activeSpace).toMatchObject({ id: spaceId, role: 'child', kind: 'family' });
    const fam = await owner.client.ok(F.getFamily);
    expect(fam.members.map((m) => [m.displayName, m.role])).toEqual([
      ['Maya', 'owner'],
      ['Dana', 'child'],
    ]);
    expect(fam.invitations).toEqual([]);
  });

  it('refuses a reused, expired, declined, forged or withdrawn link with the reason, and changes nothing', async () => {
    const { app, owner, spaceId } = await newFamily();
    const members = async () => (await owner.client.ok(F.getFamily)).members.length;
    const a = await signedUpClient(app, { name: 'Avi' });
    const used = await owner.client.ok(F.createInvitation, { body: { email: a.email } });
    await a.client.ok(F.acceptInvitation, { body: { token: tokenOf(used.link) } });
    const again = await a.client.call(F.acceptInvitation, { body: { token: tokenOf(used.link) } });
    expect(again.status).toBe(409);
    expect(again.error).toMatchObject({ details: { reason: 'used' } });
    expect(again.error?.message).toMatch(/already been used/);

    const b = await signedUpClient(app, { name: 'Ben' });
    const late = await owner.client.ok(F.createInvitation, { body: { email: b.email } });
    (env.clock as ManualClock).advance(8 * 86_400_000);
    const expired = await b.client.call(F.acceptInvitation, { body: { token: tokenOf(late.link) } });
    expect(expired.status).toBe(409);
    expect(expired.error).toMatchObject({ details: { reason: 'expired' } });
    expect(expired.error?.message).toMatch(/expired/);

    const c = await signedUpClient(app, { name: 'Carmel' });
    const declined = await owner.client.ok(F.createInvitation, { body: { email: c.email } });
    await c.client.ok(F.declineInvitation, { body: { token: tokenOf(declined.link) } });
    expect((await c.client.call(F.acceptInvitation, { body: { token: tokenOf(declined.link) } })).error).toMatchObject({
      details: { reason: 'declined' },
    });

    const forged = `${tokenOf(declined.link).split('.')[0]}.${'A'.repeat(43)}`;
    const bad = await c.client.call(F.acceptInvitation, { body: { token: forged } });
    expect(bad.status).toBe(404);
    expect(bad.error).toMatchObject({ details: { reason: 'invalid' } });

    const withdrawn = await owner.client.ok(F.createInvitation, { body: { email: c.email } });
    await owner.client.ok(F.revokeInvitation, { params: { invitationId: withdrawn.invitation.id } });
    expect((await c.client.call(F.acceptInvitation, { body: { token: tokenOf(withdrawn.link) } })).error).toMatchObject({
      details: { reason: 'revoked' },
    });

    // Someone else signed in cannot use a link meant for another address.
    const d = await owner.client.ok(F.createInvitation, { body: { email: 'someone.else@example.test' } });
    const other = await c.client.call(F.acceptInvitation, { body: { token: tokenOf(d.link) } });
    expect(other.status).toBe(403);
    expect(other.error).toMatchObject({ details: { reason: 'other_email' } });
    expect(await members()).toBe(2);
    const rows = await env.deps.db.selectFrom('membership').select('account_id').where('space_id', '=', spaceId).execute();
    expect(rows.map((r) => r.account_id).sort()).toEqual([owner.accountId, a.accountId].sort());
  });

  it('a fifth member is a plan limit: 402 quota_exceeded with the connectsoft.io offer, also when invitations race', async () => {
    const { owner, spaceId } = await newFamily();
    const results = await Promise.all(
      ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((n) =>
        owner.client.call(F.createInvitation, { body: { email: `${n}.${spaceId.slice(-6)}@example.test` } }),
      ),
    );
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 402);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(3);
    expect(refused[0]!.error).toMatchObject({
      code: 'quota_exceeded',
      details: { limit: 'members', allowed: 4, offers: [{ kind: 'connectsoft_io', url: 'https://connectsoft.io' }] },
    });
    const pending = await env.deps.db
      .selectFrom('family_invitation')
      .select('id')
      .where('space_id', '=', spaceId)
      .where('status', '=', 'pending')
      .execute();
    expect(pending).toHaveLength(3);
  });

  it('only the owner invites, removes, changes roles and manages billing (403 with the reason for adults and children)', async () => {
    const { app, owner } = await newFamily();
    const adult = await signedUpClient(app, { name: 'Adi' });
    const kid = await signedUpClient(app, { name: 'Kid' });
    for (const [who, role] of [
      [adult, 'adult'],
      [kid, 'child'],
    ] as const) {
      const inv = await owner.client.ok(F.createInvitation, { body: { email: who.email, role } });
      await who.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    }
    for (const who of [adult, kid]) {
      const tries = [
        await who.client.call(F.createInvitation, { body: { email: 'x@example.test' } }),
        await who.client.call(F.removeMember, { params: { accountId: owner.accountId } }),
        await who.client.call(F.changeRole, { params: { accountId: kid.accountId }, body: { role: 'adult' } }),
        await who.client.call(F.transferOwnership, { body: { accountId: adult.accountId } }),
      ];
      for (const t of tries) expect([t.status, (t.error?.details as { reason?: string })?.reason]).toEqual([403, 'owner_only']);
      const billing = await who.client.call(getBilling);
      expect(billing.status).toBe(403);
    }
    expect((await owner.client.ok(F.changeRole, { params: { accountId: kid.accountId }, body: { role: 'adult' } })).role).toBe('adult');
  });
});

describe('leaving, removal and ownership', () => {
  it("a member who leaves takes their private objects (and a connector's re-encrypted secret) to their personal space; shared ones stay", async () => {
    const { app, owner, spaceId } = await newFamily();
    const ron = await signedUpClient(app, { name: 'Ron' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: ron.email } });
    await ron.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    const mine = await ron.client.ok(N.createNote, { body: { title: 'Ron diary', visibility: 'private' } });
    const ours = await ron.client.ok(N.createNote, { body: { title: 'Family rules', visibility: 'shared' } });
    const list = await ron.client.ok(L.createList, { body: { name: 'Ron gifts', visibility: 'private' } });
    await ron.client.ok(L.addListItems, { params: { listId: list.id }, body: { text: 'book, socks' } });
    const conn = await ron.client.ok(Con.createConnector, {
      body: {
        kind: 'http',
        name: 'Ron API',
        visibility: 'private',
        allow: ['https://api.example.com/'],
        headerName: 'Authorization',
        headerValue: 'Bearer ron-secret',
      },
    });
    // The owner cannot see Ron's private note, even by id.
    expect((await owner.client.call(N.getNote, { params: { noteId: mine.id } })).status).toBe(404);

    const left = await ron.client.ok(F.leaveFamily, { body: {} });
    expect(left.session.activeSpace.kind).toBe('personal');
    expect(left.report.moved).toMatchObject({ note: 1, list: 1, connector: 1 });
    expect((await ron.client.ok(N.getNote, { params: { noteId: mine.id } })).title).toBe('Ron diary');
    expect((await ron.client.ok(L.getList, { params: { listId: list.id } })).items).toHaveLength(2);
    expect((await owner.client.ok(N.getNote, { params: { noteId: ours.id } })).title).toBe('Family rules');
    expect((await ron.client.call(N.getNote, { params: { noteId: ours.id } })).status).toBe(404);
    // The secret was bound to the family space; it now decrypts in the personal space.
    const row = await env.deps.db
      .selectFrom('connector')
      .select(['space_id', 'credentials', 'config'])
      .where('id', '=', conn.id)
      .executeTakeFirstOrThrow();
    expect(row.space_id).toBe(left.session.activeSpace.id);
    const { credentialsScope } = await import('#modules/connectors/index.js');
    const plain = await env.deps.vault.decryptString(
      credentialsScope(row.space_id, conn.id, (row.config as { hosts: string[] }).hosts),
      row.credentials!,
    );
    expect(plain).toContain('ron-secret');
    expect((await owner.client.ok(F.getFamily)).members).toHaveLength(1);
    expect(
      await env.deps.db
        .selectFrom('membership')
        .select('id')
        .where('space_id', '=', spaceId)
        .where('account_id', '=', ron.accountId)
        .execute(),
    ).toEqual([]);
  });

  it('the owner cannot leave before transferring; after a transfer the former owner is an adult and may leave', async () => {
    const { app, owner, spaceId } = await newFamily();
    const sam = await signedUpClient(app, { name: 'Sam' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: sam.email } });
    await sam.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    expect((await owner.client.call(F.leaveFamily, { body: {} })).error).toMatchObject({
      code: 'conflict',
      details: { reason: 'owner_must_transfer' },
    });
    const after = await owner.client.ok(F.transferOwnership, { body: { accountId: sam.accountId } });
    expect(after.members.find((m) => m.accountId === sam.accountId)?.role).toBe('owner');
    expect(after.myRole).toBe('adult');
    const space = await env.deps.db.selectFrom('space').select('owner_account_id').where('id', '=', spaceId).executeTakeFirstOrThrow();
    expect(space.owner_account_id).toBe(sam.accountId);
    await owner.client.ok(F.leaveFamily, { body: {} });
    const removed = await sam.client.call(F.removeMember, { params: { accountId: owner.accountId } });
    expect(removed.status).toBe(404);
  });

  it("the owner removes a member: the member's private data moves out, and they are told", async () => {
    const { app, owner } = await newFamily();
    const tal = await signedUpClient(app, { name: 'Tal' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: tal.email } });
    await tal.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    const note = await tal.client.ok(N.createNote, { body: { title: 'Tal private', visibility: 'private' } });
    const report = await owner.client.ok(F.removeMember, { params: { accountId: tal.accountId } });
    expect(report.moved.note).toBe(1);
    // Tal's session fell back to the personal space, where the note is.
    expect((await tal.client.ok(N.getNote, { params: { noteId: note.id } })).title).toBe('Tal private');
    const inbox = await tal.client.ok(listNotifications, { query: {} });
    expect(inbox.items.some((n) => n.kind === 'family.removed')).toBe(true);
  });

  it('a member sends another a notification; a stranger cannot', async () => {
    const { app, owner } = await newFamily();
    const noa = await signedUpClient(app, { name: 'Noa' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: noa.email, role: 'child' } });
    await noa.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    await noa.client.ok(F.nudgeMember, { params: { accountId: owner.accountId }, body: { message: 'Pick me up at 5' } });
    const inbox = await owner.client.ok(listNotifications, { query: {} });
    expect(inbox.items.find((n) => n.kind === 'family.message')?.title).toBe('Noa: Pick me up at 5');
    const stranger = await signedUpClient(app, { name: 'Stranger' });
    expect((await owner.client.call(F.nudgeMember, { params: { accountId: stranger.accountId }, body: { message: 'hi' } })).status).toBe(
      404,
    );
  });
});

describe('the end of a family space', () => {
  it('when the Family plan ends the space is read-only for 30 days with an export offer, the owner moves shared items out, then it is deleted', async () => {
    const { app, owner, spaceId } = await newFamily();
    const eli = await signedUpClient(app, { name: 'Eli' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: eli.email } });
    await eli.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    const shared = await owner.client.ok(L.createList, { body: { name: 'Shopping', visibility: 'shared' } });
    const elis = await eli.client.ok(N.createNote, { body: { title: 'Eli private', visibility: 'private' } });

    // The Family plan ends (as billing ends it at the end of a cancelled period): Free, then each module's limits.
    await env.deps.db.transaction().execute(async (tx) => {
      await setBasePlan(tx, { spaceId, planId: 'free', now: env.clock.now(), provider: 'none' });
      await applyPlanLimits({ ...systemCtx(env.deps), db: tx }, spaceId);
    });
    const fam = await owner.client.ok(F.getFamily);
    expect(fam.space.status).toBe('read_only');
    expect(new Date(fam.space.deleteAfter!).getTime() - env.clock.now().getTime()).toBe(30 * 86_400_000);
    const told = await eli.client.ok(listNotifications, { query: {} });
    expect(told.items.find((n) => n.kind === 'family.plan_ended')?.body).toMatch(/Export/);
    const write = await eli.client.call(N.createNote, { body: { title: 'too late' } });
    expect(write.status).toBe(403);
    expect(write.error).toMatchObject({ details: { reason: 'read_only' } });
    expect((await eli.client.call(N.getNote, { params: { noteId: elis.id } })).status).toBe(200);

    const moved = await owner.client.ok(F.moveSharedToPersonal, { body: {} });
    expect(moved.moved.list).toBe(1);
    (env.clock as ManualClock).advance(31 * 86_400_000);
    expect((await sweepFamilySpaces(systemCtx(env.deps))).deleted).toBeGreaterThanOrEqual(1);
    expect(await env.deps.db.selectFrom('space').select('id').where('id', '=', spaceId).executeTakeFirst()).toBeUndefined();
    // Eli's private note is in Eli's personal space; the shared list is in the owner's (31 days later: sign in again).
    for (const p of [eli, owner]) await p.client.ok(signIn, { body: { email: p.email, password: 'correct horse battery' } });
    expect((await eli.client.ok(N.getNote, { params: { noteId: elis.id } })).title).toBe('Eli private');
    expect((await owner.client.ok(L.getList, { params: { listId: shared.id } })).name).toBe('Shopping');
  });

  it('the weekly digest reaches each member with what concerns them', async () => {
    const { app, owner, spaceId } = await newFamily();
    const ido = await signedUpClient(app, { name: 'Ido' });
    const inv = await owner.client.ok(F.createInvitation, { body: { email: ido.email } });
    await ido.client.ok(F.acceptInvitation, { body: { token: tokenOf(inv.link) } });
    const { createReminder } = await import('@csme/contracts/reminders');
    await owner.client.ok(createReminder, {
      body: {
        title: 'Take the bins out',
        dueAt: new Date(env.clock.now().getTime() + 2 * 86_400_000).toISOString(),
        assigneeAccountId: ido.accountId,
      },
    });
    await sendWeeklyDigests(systemCtx(env.deps));
    const digest = await env.deps.db
      .selectFrom('notification')
      .select(['owner_account_id', 'body'])
      .where('space_id', '=', spaceId)
      .where('kind', '=', 'family.digest')
      .execute();
    expect(digest).toHaveLength(2);
    expect(digest.find((d) => d.owner_account_id === ido.accountId)?.body).toContain('Take the bins out');
    expect(digest.find((d) => d.owner_account_id === owner.accountId)?.body).not.toContain('Take the bins out');
  });
});
