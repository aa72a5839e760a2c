import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ActivityEntry } from '@csme/contracts/activity';
import type { ActorCtx, Ctx } from '#core/ctx.js';
import { inSpace } from '#core/ctx.js';
import type { Db } from '#core/db.js';
import { newId } from '#core/ids.js';
import { entryHash, GENESIS } from './activity.policy.js';
import { advanceHead, findHead, insertEntry, listEntries, lockHead, streamEntries } from './activity.repository.js';

export interface ActivityInput {
  spaceId: string;
  /** The member a private entry belongs to; shared entries leave it null. */
  ownerAccountId?: string | null;
  visibility?: 'shared' | 'private';
  actorKind: 'person' | 'agent' | 'system' | 'operator';
  actorAccountId?: string | null;
  agentId?: string | null;
  /** `connector.read`, `model.call`, `suggestion.created`, `suggestion.approved`, `action.performed`, `settings.changed`, ... */
  kind: string;
  objectType?: string | null;
  objectId?: string | null;
  summary: string;
  data?: Record<string, unknown>;
}

/**
 * Appends one entry to the space's hash-chained log, in the caller's transaction (so an entry exists
 * if and only if what it records committed). Appends of one space are serialised by its chain head.
 */
export async function logActivity(db: Db, e: ActivityInput, now: Date): Promise<void> {
  const run = async (tx: Db) => {
    const head = await lockHead(tx, e.spaceId);
    const entry = {
      space_id: e.spaceId,
      seq: head.seq + 1,
      id: newId(),
      at: new Date(Math.floor(now.getTime())),
      owner_account_id: e.ownerAccountId ?? null,
      visibility: e.visibility ?? (e.ownerAccountId ? 'private' : 'shared'),
      actor_kind: e.actorKind,
      actor_account_id: e.actorAccountId ?? null,
      agent_id: e.agentId ?? null,
      kind: e.kind,
      object_type: e.objectType ?? null,
      object_id: e.objectId ?? null,
      summary: e.summary.slice(0, 500),
      data: e.data ?? {},
    };
    const hash = entryHash(head.hash, entry);
    await insertEntry(tx, { ...entry, seq: String(entry.seq), data: JSON.stringify(entry.data), prev_hash: head.hash, hash });
    await advanceHead(tx, e.spaceId, entry.seq, hash);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

export async function listActivity(
  ctx: ActorCtx,
  q: { limit: number; cursor?: string; kind?: string; agentId?: string; objectId?: string; from?: string; to?: string },
): Promise<{ items: ActivityEntry[]; nextCursor: string | null }> {
  return inSpace(ctx, async (c) => {
    const rows = await listEntries(c.db, ctx.actor.spaceId, {
      limit: q.limit,
      beforeSeq: q.cursor ? Number(q.cursor) : undefined,
      kind: q.kind,
      agentId: q.agentId,
      objectId: q.objectId,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    });
    const items = rows.slice(0, q.limit).map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      at: r.at.toISOString(),
      actorKind: r.actor_kind as ActivityEntry['actorKind'],
      actorAccountId: r.actor_account_id,
      agentId: r.agent_id,
      kind: r.kind,
      objectType: r.object_type,
      objectId: r.object_id,
      summary: r.summary,
      data: (r.data ?? {}) as Record<string, unknown>,
      visibility: r.visibility as ActivityEntry['visibility'],
      hash: r.hash,
    }));
    return { items, nextCursor: rows.length > q.limit ? String(items.at(-1)!.seq) : null };
  });
}

export interface ChainReport {
  entries: number;
  valid: boolean;
  brokenAtSeq: number | null;
  headHash: string | null;
}

/** Recomputes the whole chain of a space (system work: every entry, private ones included). */
export async function verifyChain(ctx: Ctx, spaceId: string): Promise<ChainReport> {
  let prev = GENESIS;
  let expectSeq = 1;
  let n = 0;
  // After retention purged the oldest entries, the chain verifies from a checkpoint signed with the
  // instance's activity key: a forged or edited checkpoint fails like a broken link.
  const cp = await ctx.deps.db.selectFrom('activity_checkpoint').selectAll().where('space_id', '=', spaceId).executeTakeFirst();
  if (cp) {
    const want = Buffer.from(checkpointSignature(ctx.deps.keys.activity, spaceId, Number(cp.seq), cp.hash), 'hex');
    const got = Buffer.from(cp.signature, 'hex');
    if (want.length !== got.length || !timingSafeEqual(want, got))
      return { entries: 0, valid: false, brokenAtSeq: Number(cp.seq), headHash: null };
    prev = cp.hash;
    expectSeq = Number(cp.seq) + 1;
    n = Number(cp.seq);
  }
  for await (const r of streamEntries(ctx.deps.db, spaceId)) {
    const seq = Number(r.seq);
    const ok = seq === expectSeq && r.prev_hash === prev && entryHash(prev, { ...r, seq, data: r.data, at: r.at }) === r.hash;
    if (!ok) return { entries: n, valid: false, brokenAtSeq: seq, headHash: null };
    prev = r.hash;
    expectSeq++;
    n++;
  }
  const head = await findHead(ctx.deps.db, spaceId);
  if (head && (Number(head.seq) !== n || head.hash !== (n ? prev : GENESIS)))
    return { entries: n, valid: false, brokenAtSeq: n + 1, headHash: head.hash };
  return { entries: n, valid: true, brokenAtSeq: null, headHash: n ? prev : null };
}

function checkpointSignature(key: Buffer, spaceId: string, seq: number, hash: string): string {
  return createHmac('sha256', key).update(`activity-checkpoint|${spaceId}|${seq}|${hash}`).digest('hex');
}

/**
 * Retention: removes a space's entries older than `before` and records a signed checkpoint (the seq
 * and hash of the last removed entry), so the rest of the chain still verifies. System work.
 */
export async function purgeActivityBefore(ctx: Ctx, spaceId: string, before: Date): Promise<number> {
  return ctx.deps.db.transaction().execute(async (tx) => {
    await lockHead(tx, spaceId);
    const last = await tx
      .selectFrom('activity')
      .select(['seq', 'hash'])
      .where('space_id', '=', spaceId)
      .where('at', '<', before)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!last) return 0;
    const seq = Number(last.seq);
    const signature = checkpointSignature(ctx.deps.keys.activity, spaceId, seq, last.hash);
    await tx
      .insertInto('activity_checkpoint')
      .values({ space_id: spaceId, seq: String(seq), hash: last.hash, signature, purged_before: before, created_at: ctx.now() })
      .onConflict((oc) =>
        oc.column('space_id').doUpdateSet({ seq: String(seq), hash: last.hash, signature, purged_before: before, created_at: ctx.now() }),
      )
      .execute();
    const r = await tx
      .deleteFrom('activity')
      .where('space_id', '=', spaceId)
      .where('seq', '<=', String(seq) as never)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  });
}

/** `csme import`: the checkpoint of an imported chain, signed again with this instance's key. */
export async function restoreCheckpoint(ctx: Ctx, spaceId: string, seq: number, hash: string, purgedBefore: Date): Promise<void> {
  const signature = checkpointSignature(ctx.deps.keys.activity, spaceId, seq, hash);
  await ctx.deps.db
    .insertInto('activity_checkpoint')
    .values({ space_id: spaceId, seq: String(seq), hash, signature, purged_before: purgedBefore, created_at: ctx.now() })
    .onConflict((oc) => oc.column('space_id').doUpdateSet({ seq: String(seq), hash, signature, purged_before: purgedBefore }))
    .execute();
}
